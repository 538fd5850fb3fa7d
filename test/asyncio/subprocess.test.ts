// Port of CPython's Lib/test/test_asyncio/test_subprocess.py (SubprocessMixin and the transport's
// ProcessLookupError checks), plus the aiots subprocess contract (API.md §1): argument checks, the
// `stderr: STDOUT` merge, inherited streams, pids, reaping, many children at once.
// Real children (sh, cat, head, sleep, wc, pwd); CPython's `python -c` helpers become shell
// one-liners. Nothing measures wall-clock time and nothing sleeps to synchronise: a child that must
// be running is shown to be so by a line it printed, an exit is awaited with wait(). Every child a
// test starts is waited for (killed first if still running) before the test ends. Each
// cancellation case runs with async functions and with generator coroutines.
import assert from "node:assert/strict";
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { constants, tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import * as asyncio from "../../src/index.js";
import {
  bothForms,
  caught,
  caughtGen,
  caughtCall as failure,
  isCancelled,
  NO_ERROR,
  runBriefly,
  runBrieflyGen,
  runMain,
} from "../helpers.js";

const { PIPE, STDOUT, DEVNULL } = asyncio;
const SIG = constants.signals;
const hasProc = existsSync("/proc/self/environ");

/** A child that stays until it is killed (CPython's PROGRAM_BLOCKED). */
const BLOCKED = ["sleep", "3600"] as const;

/** True while a process with this pid exists (signal 0 checks without signalling). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ESRCH") return false;
    throw e;
  }
}

/** Kill `proc` if it still runs, then wait for it (every test's cleanup). */
async function reap(proc: asyncio.Process): Promise<number> {
  if (proc.returncode === null) {
    try {
      proc.kill();
    } catch (e) {
      if (!(e instanceof asyncio.ProcessLookupError)) throw e;
    }
  }
  return await proc.wait();
}

function* reapGen(proc: asyncio.Process): Generator<unknown, number, any> {
  if (proc.returncode === null) {
    try {
      proc.kill();
    } catch (e) {
      if (!(e instanceof asyncio.ProcessLookupError)) throw e;
    }
  }
  return yield* proc.wait();
}

const tmpRoot = mkdtempSync(join(tmpdir(), "aiots-subprocess-"));
after(() => rmSync(tmpRoot, { recursive: true, force: true }));

describe("pipes and communicate()", () => {
  // test_subprocess.py: SubprocessMixin.test_stdin_stdout
  test("test_stdin_stdout: write, drain and close stdin; read stdout to EOF; wait", () =>
    runMain(async () => {
      const proc = await asyncio.createSubprocessExec("cat", { stdin: PIPE, stdout: PIPE });
      try {
        assert.ok(proc.stdin instanceof asyncio.StreamWriter);
        assert.ok(proc.stdout instanceof asyncio.StreamReader);
        assert.equal(proc.stderr, null);
        proc.stdin.write(Buffer.from("some data"));
        await proc.stdin.drain();
        proc.stdin.close();
        const data = await proc.stdout.read();
        assert.equal(data.toString(), "some data");
        assert.equal(await proc.wait(), 0);
        assert.equal(proc.returncode, 0);
      } finally {
        await reap(proc);
      }
    }));

  // test_subprocess.py: SubprocessMixin.test_stdin_stdout, generator-coroutine form
  test("test_stdin_stdout with generator coroutines (yield*)", () =>
    runMain(function* () {
      const proc = yield* asyncio.createSubprocessExec("cat", { stdin: PIPE, stdout: PIPE });
      try {
        proc.stdin!.write("line one\nline two\n");
        yield* proc.stdin!.drain();
        proc.stdin!.close();
        assert.equal((yield* proc.stdout!.readline()).toString(), "line one\n");
        assert.equal((yield* proc.stdout!.read()).toString(), "line two\n");
        assert.equal(yield* proc.wait(), 0);
      } finally {
        yield* reapGen(proc);
      }
    }));

  // test_subprocess.py: SubprocessMixin.test_communicate
  test("test_communicate: input goes to stdin, stdout comes back, returncode is set", () =>
    runMain(async () => {
      const proc = await asyncio.createSubprocessExec("cat", { stdin: PIPE, stdout: PIPE });
      try {
        const [out, err] = await proc.communicate(Buffer.from("some data"));
        assert.equal(out!.toString(), "some data");
        assert.equal(err, null);
        assert.equal(proc.returncode, 0);
      } finally {
        await reap(proc);
      }
    }));

  // test_subprocess.py: SubprocessMixin.test_stdin_not_inheritable (all three pipes, string input)
  test("test_stdin_not_inheritable: communicate() with the three pipes ends (stdin reaches EOF)", () =>
    runMain(async () => {
      const proc = await asyncio.createSubprocessExec("wc", "-c", {
        stdin: PIPE,
        stdout: PIPE,
        stderr: PIPE,
      });
      try {
        const [out, err] = await proc.communicate("abc");
        assert.equal(out!.toString().trim(), "3");
        assert.equal(err!.length, 0);
        assert.equal(await proc.wait(), 0);
      } finally {
        await reap(proc);
      }
    }));

  // test_subprocess.py: SubprocessMixin.test_empty_input; communicate() without input also closes stdin
  test("test_empty_input: communicate('') and communicate() give the child an empty stdin", () =>
    runMain(async () => {
      for (const input of [Buffer.alloc(0), undefined, null]) {
        const proc = await asyncio.createSubprocessExec("wc", "-c", {
          stdin: PIPE,
          stdout: PIPE,
          stderr: PIPE,
        });
        try {
          const [out] = await proc.communicate(input);
          assert.equal(out!.toString().trim(), "0");
          assert.equal(proc.returncode, 0);
        } finally {
          await reap(proc);
        }
      }
    }));

  // aiots contract: communicate() without any pipe only waits
  test("communicate() of a child without pipes returns [null, null] after the exit", () =>
    runMain(async () => {
      const proc = await asyncio.createSubprocessShell("exit 3");
      try {
        assert.deepEqual(await proc.communicate(), [null, null]);
        assert.equal(proc.returncode, 3);
      } finally {
        await reap(proc);
      }
    }));

  // test_subprocess.py: SubprocessMixin.test_communicate with 50 MB through cat (no deadlock:
  // stdin is written while stdout is read)
  test("communicate() pushes 50 MB through cat and gets it all back", () =>
    runMain(async () => {
      const size = 50_000_000;
      const input = Buffer.alloc(size, 0x61);
      input.write("head", 0);
      input.write("tail", size - 4);
      const proc = await asyncio.createSubprocessExec("cat", { stdin: PIPE, stdout: PIPE });
      try {
        const [out] = await proc.communicate(input);
        assert.equal(out!.length, size);
        assert.ok(out!.equals(input));
        assert.equal(proc.returncode, 0);
      } finally {
        await reap(proc);
      }
    }));

  // test_subprocess.py: SubprocessMixin.test_pause_reading, at scale: 50 MB with the default limit
  test("communicate() reads 50 MB of stdout (head -c 50000000 /dev/zero)", () =>
    runMain(async () => {
      const proc = await asyncio.createSubprocessExec("head", "-c", "50000000", "/dev/zero", {
        stdout: PIPE,
      });
      try {
        const [out, err] = await proc.communicate();
        assert.equal(out!.length, 50_000_000);
        assert.equal(out!.indexOf(1), -1);
        assert.equal(err, null);
        assert.equal(proc.returncode, 0);
      } finally {
        await reap(proc);
      }
    }));

  // aiots contract (communicate() reads stdout and stderr at once): a child that first fills stderr,
  // then stdout, would deadlock a reader that drained stdout first
  test("communicate() reads 10 MB on stderr then 10 MB on stdout without deadlock", () =>
    runMain(async () => {
      const proc = await asyncio.createSubprocessShell(
        "head -c 10000000 /dev/zero >&2; head -c 10000000 /dev/zero | tr '\\0' x",
        { stdout: PIPE, stderr: PIPE },
      );
      try {
        const [out, err] = await proc.communicate();
        assert.equal(out!.length, 10_000_000);
        assert.equal(err!.length, 10_000_000);
        assert.equal(out![0], 0x78);
        assert.equal(err![0], 0);
        assert.equal(proc.returncode, 0);
      } finally {
        await reap(proc);
      }
    }));

  // test_subprocess.py: SubprocessMixin.test_pause_reading (limit 10, 21 bytes: all arrive)
  test("test_pause_reading: output past the limit is paused, resumed and delivered in full", () =>
    runMain(async () => {
      const proc = await asyncio.createSubprocessShell("printf %s xxxxxxxxxxxxxxxxxxxxx", {
        stdin: PIPE,
        stdout: PIPE,
        limit: 10,
      });
      try {
        const [out] = await proc.communicate();
        assert.equal(out!.toString(), "x".repeat(21));
      } finally {
        await reap(proc);
      }
    }));

  // test_subprocess.py: SubprocessMixin.test_read_stdout_after_process_exit
  test("test_read_stdout_after_process_exit: read 256 KiB in chunks, then the exit status 1", () =>
    runMain(async () => {
      const proc = await asyncio.createSubprocessShell("head -c 262144 /dev/zero; exit 1", { stdout: PIPE });
      try {
        let total = 0;
        for (;;) {
          const chunk = await proc.stdout!.read(65536);
          assert.ok(chunk.length <= 65536);
          if (chunk.length === 0) break;
          total += chunk.length;
          await asyncio.sleep(0);
        }
        assert.equal(total, 262144);
        assert.equal(await proc.wait(), 1);
      } finally {
        await reap(proc);
      }
    }));

  // aiots contract: wait() does not read the pipes, so it can only end while someone reads them
  test("wait() while stdout is read concurrently: both end, nothing is lost", () =>
    runMain(async () => {
      const proc = await asyncio.createSubprocessExec("head", "-c", "3000000", "/dev/zero", { stdout: PIPE });
      try {
        const [code, data] = await asyncio.gather(proc.wait(), proc.stdout!.read());
        assert.equal(code, 0);
        assert.equal(data!.length, 3_000_000);
      } finally {
        await reap(proc);
      }
    }));

  // aiots contract (StreamReader): stdout lines with readline() and for-await
  test("stdout lines with readline() and for await", () =>
    runMain(async () => {
      const proc = await asyncio.createSubprocessShell("printf 'first\\nsecond\\nthird\\nlast'", {
        stdout: PIPE,
      });
      try {
        assert.equal((await proc.stdout!.readline()).toString(), "first\n");
        const rest: string[] = [];
        for await (const line of proc.stdout!) rest.push(line.toString());
        assert.deepEqual(rest, ["second\n", "third\n", "last"]);
        assert.equal((await proc.stdout!.readline()).length, 0);
        assert.ok(proc.stdout!.atEof());
        assert.equal(await proc.wait(), 0);
      } finally {
        await reap(proc);
      }
    }));

  // aiots contract: `limit` bounds the stdout/stderr readers (readline → ValueError, as in CPython)
  test("limit: a stdout line longer than the limit makes readline() throw ValueError", () =>
    runMain(async () => {
      const proc = await asyncio.createSubprocessShell(`printf '%s\\nok\\n' ${"y".repeat(100)}`, {
        stdout: PIPE,
        limit: 10,
      });
      try {
        const err = await failure(() => proc.stdout!.readline());
        assert.ok(err instanceof asyncio.ValueError, String(err));
        assert.equal(await proc.wait(), 0);
      } finally {
        await reap(proc);
      }
    }));
});

describe("exit status and signals", () => {
  // test_subprocess.py: SubprocessMixin.test_shell
  test("test_shell: the exit code of a shell command", () =>
    runMain(async () => {
      const proc = await asyncio.createSubprocessShell("exit 7");
      try {
        assert.equal(await proc.wait(), 7);
        assert.equal(proc.returncode, 7);
        assert.equal(await proc.wait(), 7); // again: at once, same value
      } finally {
        await reap(proc);
      }
    }));

  // test_subprocess.py: SubprocessMixin.test_start_new_session
  test("test_start_new_session: the child runs in its own session", () =>
    runMain(async () => {
      // Field 6 of /proc/PID/stat is the session id (read with shell builtins only).
      const script = hasProc ? "read -r _ _ _ _ _ sid _ < /proc/$$/stat; echo $sid $$; exit 8" : "exit 8";
      const proc = await asyncio.createSubprocessShell(script, { stdout: PIPE, startNewSession: true });
      try {
        const [out] = await proc.communicate();
        if (hasProc) {
          const [sid, pid] = out!.toString().trim().split(" ").map(Number);
          assert.equal(pid, proc.pid);
          assert.equal(sid, proc.pid); // session leader
          assert.notEqual(
            sid,
            Number(readFileSync("/proc/self/stat", "latin1").split(") ")[1]!.split(" ")[3]),
          );
        }
        assert.equal(proc.returncode, 8);
      } finally {
        await reap(proc);
      }
    }));

  // test_subprocess.py: SubprocessMixin.test_kill
  test("test_kill: kill() → returncode -SIGKILL", () =>
    runMain(async () => {
      const proc = await asyncio.createSubprocessExec(...BLOCKED);
      try {
        assert.equal(proc.returncode, null);
        proc.kill();
        assert.equal(await proc.wait(), -SIG.SIGKILL);
        assert.equal(proc.returncode, -9);
      } finally {
        await reap(proc);
      }
    }));

  // test_subprocess.py: SubprocessMixin.test_terminate
  test("test_terminate: terminate() → returncode -SIGTERM", () =>
    runMain(async () => {
      const proc = await asyncio.createSubprocessExec(...BLOCKED);
      try {
        proc.terminate();
        assert.equal(await proc.wait(), -SIG.SIGTERM);
        assert.equal(proc.returncode, -15);
      } finally {
        await reap(proc);
      }
    }));

  // test_subprocess.py: SubprocessMixin.test_send_signal (default action of SIGHUP kills the child)
  test("test_send_signal: SIGHUP after the child said it is running → -SIGHUP", () =>
    runMain(async () => {
      const proc = await asyncio.createSubprocessShell("echo sleeping; exec sleep 3600", { stdout: PIPE });
      try {
        assert.equal((await proc.stdout!.readline()).toString(), "sleeping\n");
        proc.sendSignal("SIGHUP");
        assert.equal(await proc.wait(), -SIG.SIGHUP);
      } finally {
        await reap(proc);
      }
    }));

  // test_subprocess.py: SubprocessMixin.test_send_signal, with a child that traps the signal
  test("sendSignal() of a signal the child traps: its handler runs and decides the exit code", () =>
    runMain(async () => {
      const proc = await asyncio.createSubprocessShell(
        'trap "echo got; exit 7" HUP; echo ready; while :; do sleep 0.05; done',
        { stdout: PIPE },
      );
      try {
        assert.equal((await proc.stdout!.readline()).toString(), "ready\n");
        proc.sendSignal(SIG.SIGHUP); // by number
        assert.equal((await proc.stdout!.readline()).toString(), "got\n");
        assert.equal(await proc.wait(), 7);
      } finally {
        await reap(proc);
      }
    }));

  // test_subprocess.py: SubprocessMixin.test_send_signal with SIGUSR1 by name and a number
  test("sendSignal() by name and by number; an invalid signal is a ValueError", () =>
    runMain(async () => {
      const proc = await asyncio.createSubprocessExec(...BLOCKED);
      try {
        assert.throws(() => proc.sendSignal("SIGNOPE" as NodeJS.Signals), asyncio.ValueError);
        assert.throws(() => proc.sendSignal(100000), asyncio.ValueError);
        assert.equal(proc.returncode, null);
        proc.sendSignal("SIGUSR1");
        assert.equal(await proc.wait(), -SIG.SIGUSR1);
      } finally {
        await reap(proc);
      }
    }));

  // test_subprocess.py: SubprocessTransportTests.test_proc_exited (ProcessLookupError after the exit)
  test("test_proc_exited: kill/terminate/sendSignal after the exit throw ProcessLookupError", () =>
    runMain(async () => {
      const proc = await asyncio.createSubprocessShell("exit 6");
      try {
        assert.equal(await proc.wait(), 6);
        assert.throws(() => proc.sendSignal("SIGTERM"), asyncio.ProcessLookupError);
        assert.throws(() => proc.terminate(), asyncio.ProcessLookupError);
        assert.throws(() => proc.kill(), asyncio.ProcessLookupError);
        assert.ok(new asyncio.ProcessLookupError() instanceof asyncio.OSError);
        assert.equal(proc.returncode, 6);
      } finally {
        await reap(proc);
      }
    }));

  // test_subprocess.py: SubprocessTransportTests.test_subprocess_repr (pid and returncode shown)
  test("toString() shows the pid, then the returncode", () =>
    runMain(async () => {
      const proc = await asyncio.createSubprocessExec(...BLOCKED);
      try {
        assert.equal(String(proc), `<Process ${proc.pid}>`);
        proc.kill();
        await proc.wait();
        assert.equal(String(proc), `<Process ${proc.pid} returncode=-9>`);
      } finally {
        await reap(proc);
      }
    }));

  // aiots contract: the pid is the program's, also with `stderr: STDOUT` (which needs a shell)
  test("pid is the program's own pid (exec, shell, and exec with stderr: STDOUT)", () =>
    runMain(async () => {
      const procs = [
        await asyncio.createSubprocessExec("sh", "-c", "echo $$", { stdout: PIPE }),
        await asyncio.createSubprocessShell("echo $$", { stdout: PIPE }),
        await asyncio.createSubprocessExec("sh", "-c", "echo $$", { stdout: PIPE, stderr: STDOUT }),
      ];
      try {
        for (const proc of procs) {
          assert.ok(Number.isInteger(proc.pid) && proc.pid > 0);
          const [out] = await proc.communicate();
          assert.equal(Number(out!.toString().trim()), proc.pid);
        }
      } finally {
        for (const proc of procs) await reap(proc);
      }
    }));

  // aiots contract: the child is reaped; after wait() no zombie is left under that pid
  test("no zombie: after wait() the pid no longer exists", () =>
    runMain(async () => {
      const proc = await asyncio.createSubprocessExec(...BLOCKED);
      try {
        assert.ok(alive(proc.pid));
        proc.kill();
        await proc.wait();
        assert.throws(
          () => process.kill(proc.pid, 0),
          (e: NodeJS.ErrnoException) => e.code === "ESRCH",
        );
        const done = await asyncio.createSubprocessShell("exit 0");
        assert.equal(await done.wait(), 0);
        assert.equal(alive(done.pid), false);
      } finally {
        await reap(proc);
      }
    }));

  // aiots contract: many children at once
  test("20 concurrent children with gather: each result belongs to its child", () =>
    runMain(async () => {
      const n = 20;
      const procs = (await asyncio.gather(
        Array.from({ length: n }, (_, i) =>
          asyncio.createSubprocessExec("sh", "-c", 'cat; echo " $0 $$"; exit $0', String(i), {
            stdin: PIPE,
            stdout: PIPE,
          }),
        ),
      )) as asyncio.Process[];
      try {
        assert.equal(new Set(procs.map((p) => p.pid)).size, n);
        const outs = (await asyncio.gather(procs.map((p, i) => p.communicate(`child${i}`)))) as [
          Buffer | null,
          Buffer | null,
        ][];
        outs.forEach(([out], i) => {
          assert.equal(out!.toString(), `child${i} ${i} ${procs[i]!.pid}\n`);
          assert.equal(procs[i]!.returncode, i);
        });
      } finally {
        for (const p of procs) await reap(p);
      }
    }));
});

describe("stdin broken pipe", () => {
  // test_subprocess.py: SubprocessMixin.test_stdin_broken_pipe (waits for the exit instead of sleeping)
  test("test_stdin_broken_pipe: drain() after the child exited throws a connection error", () =>
    runMain(async () => {
      const proc = await asyncio.createSubprocessShell("exit 0", { stdin: PIPE });
      try {
        assert.equal(await proc.wait(), 0);
        proc.stdin!.write(Buffer.alloc(1 << 20, 0x78));
        const err = await failure(() => proc.stdin!.drain());
        assert.ok(
          err instanceof asyncio.BrokenPipeError || err instanceof asyncio.ConnectionResetError,
          String(err),
        );
      } finally {
        await reap(proc);
      }
    }));

  // test_subprocess.py: SubprocessMixin.test_stdin_broken_pipe, the child exiting while it is written to
  test("writing to a child that exits without reading: drain() throws once its stdin is gone", () =>
    runMain(async () => {
      const proc = await asyncio.createSubprocessShell("read line; echo got; exit 0", {
        stdin: PIPE,
        stdout: PIPE,
      });
      try {
        proc.stdin!.write("one line\n");
        assert.equal((await proc.stdout!.readline()).toString(), "got\n");
        const chunk = Buffer.alloc(1 << 20, 0x78);
        let err: unknown = NO_ERROR;
        // The child is gone or going: some write/drain round must fail (at most 64 MiB are offered).
        for (let i = 0; i < 64 && err === NO_ERROR; i++) {
          proc.stdin!.write(chunk);
          err = await failure(() => proc.stdin!.drain());
        }
        assert.ok(
          err instanceof asyncio.BrokenPipeError || err instanceof asyncio.ConnectionResetError,
          String(err),
        );
        assert.equal(await proc.wait(), 0);
      } finally {
        await reap(proc);
      }
    }));

  // test_subprocess.py: SubprocessMixin.test_stdin_broken_pipe, the child dying while drain() waits
  bothForms("a drain() waiting on a full stdin pipe throws BrokenPipeError when the child dies", {
    async: () =>
      runMain(async () => {
        const proc = await asyncio.createSubprocessShell("echo ready; exec sleep 3600", {
          stdin: PIPE,
          stdout: PIPE,
        });
        try {
          assert.equal((await proc.stdout!.readline()).toString(), "ready\n");
          proc.stdin!.write(Buffer.alloc(8 << 20, 0x78)); // far more than the kernel buffers
          const drain = asyncio.createTask(async () => await proc.stdin!.drain());
          await runBriefly(2);
          assert.equal(drain.done(), false);
          proc.kill();
          const err = await caught(drain);
          assert.ok(err instanceof asyncio.BrokenPipeError, String(err));
          assert.equal(await proc.wait(), -SIG.SIGKILL);
          // Later writes are dropped; drain() keeps reporting the lost pipe.
          proc.stdin!.write("more");
          assert.ok((await caught(proc.stdin!.drain())) instanceof asyncio.ConnectionError);
        } finally {
          await reap(proc);
        }
      }),
    gen: () =>
      runMain(function* () {
        const proc = yield* asyncio.createSubprocessShell("echo ready; exec sleep 3600", {
          stdin: PIPE,
          stdout: PIPE,
        });
        try {
          assert.equal((yield* proc.stdout!.readline()).toString(), "ready\n");
          proc.stdin!.write(Buffer.alloc(8 << 20, 0x78));
          const drain = asyncio.createTask(function* () {
            yield* proc.stdin!.drain();
          });
          yield* runBrieflyGen(2);
          assert.equal(drain.done(), false);
          proc.kill();
          const err = yield* caughtGen(drain);
          assert.ok(err instanceof asyncio.BrokenPipeError, String(err));
          assert.equal(yield* proc.wait(), -SIG.SIGKILL);
          proc.stdin!.write("more");
          assert.ok((yield* caughtGen(proc.stdin!.drain())) instanceof asyncio.ConnectionError);
        } finally {
          yield* reapGen(proc);
        }
      }),
  });

  // test_subprocess.py: SubprocessMixin.test_communicate_ignore_broken_pipe
  test("test_communicate_ignore_broken_pipe: communicate(big input) to a child that reads nothing", () =>
    runMain(async () => {
      const large = Buffer.alloc(4 << 20, 0x78);
      for (const waitFirst of [false, true]) {
        const proc = await asyncio.createSubprocessShell("exit 0", { stdin: PIPE });
        try {
          if (waitFirst) await proc.wait();
          assert.deepEqual(await proc.communicate(large), [null, null]);
          assert.equal(proc.returncode, 0);
        } finally {
          await reap(proc);
        }
      }
    }));
});

describe("stdio options, cwd and env", () => {
  // aiots contract (CPython's subprocess.STDOUT): stderr goes into the stdout pipe
  test("stderr: STDOUT merges stderr into stdout (exec and shell)", () =>
    runMain(async () => {
      const script = "echo out; echo err >&2; echo out2";
      for (const proc of [
        await asyncio.createSubprocessExec("sh", "-c", script, { stdout: PIPE, stderr: STDOUT }),
        await asyncio.createSubprocessShell(script, { stdout: PIPE, stderr: STDOUT }),
      ]) {
        try {
          assert.equal(proc.stderr, null);
          const [out, err] = await proc.communicate();
          assert.equal(out!.toString(), "out\nerr\nout2\n");
          assert.equal(err, null);
          assert.equal(proc.returncode, 0);
        } finally {
          await reap(proc);
        }
      }
    }));

  // aiots contract: stderr: STDOUT keeps the program's arguments intact (no shell re-parsing)
  test("stderr: STDOUT with exec passes arguments with spaces and quotes unchanged", () =>
    runMain(async () => {
      const args = ["a b", "'q'", '"d"', "$HOME", "*"];
      const proc = await asyncio.createSubprocessExec(
        "sh",
        "-c",
        'for a in "$@"; do echo "[$a]"; done; echo e >&2; exit 5',
        "argv0",
        ...args,
        { stdout: PIPE, stderr: STDOUT },
      );
      try {
        const [out] = await proc.communicate();
        assert.equal(out!.toString(), `${args.map((a) => `[${a}]`).join("\n")}\ne\n`);
        assert.equal(proc.returncode, 5);
      } finally {
        await reap(proc);
      }
    }));

  // test_subprocess.py: SubprocessMixin.test_devnull_input
  test("test_devnull_input: stdin DEVNULL reads as empty", () =>
    runMain(async () => {
      const proc = await asyncio.createSubprocessExec("wc", "-c", {
        stdin: DEVNULL,
        stdout: PIPE,
        stderr: PIPE,
      });
      try {
        assert.equal(proc.stdin, null);
        const [out] = await proc.communicate();
        assert.equal(out!.toString().trim(), "0");
        assert.equal(proc.returncode, 0);
      } finally {
        await reap(proc);
      }
    }));

  // test_subprocess.py: SubprocessMixin.test_devnull_output and test_devnull_error
  test("test_devnull_output / test_devnull_error: DEVNULL streams come back as null", () =>
    runMain(async () => {
      const script = "cat; echo err >&2";
      const a = await asyncio.createSubprocessShell(script, { stdin: PIPE, stdout: DEVNULL, stderr: PIPE });
      try {
        assert.equal(a.stdout, null);
        const [out, err] = await a.communicate("abc");
        assert.equal(out, null);
        assert.equal(err!.toString(), "err\n");
        assert.equal(a.returncode, 0);
      } finally {
        await reap(a);
      }
      const b = await asyncio.createSubprocessShell(script, { stdin: PIPE, stdout: PIPE, stderr: DEVNULL });
      try {
        assert.equal(b.stderr, null);
        const [out, err] = await b.communicate("abc");
        assert.equal(out!.toString(), "abc");
        assert.equal(err, null);
        assert.equal(b.returncode, 0);
      } finally {
        await reap(b);
      }
    }));

  // aiots contract: null/undefined inherit the parent's stream; a number is a file descriptor
  test("stdin/stdout null inherit the parent's streams", { skip: hasProc ? false : "needs /proc" }, () =>
    runMain(async () => {
      // The child reports what its fds 0 and 1 are, on stderr (a shell would show its own
      // redirections), without touching them.
      const script =
        'const fs = require("node:fs"); for (const fd of [0, 1]) fs.writeSync(2, fs.readlinkSync("/proc/self/fd/" + fd) + "\\n")';
      const proc = await asyncio.createSubprocessExec(process.execPath, "-e", script, {
        stdin: null,
        stdout: null,
        stderr: PIPE,
      });
      try {
        assert.equal(proc.stdin, null);
        assert.equal(proc.stdout, null);
        const [out, err] = await proc.communicate();
        assert.equal(out, null);
        assert.deepEqual(err!.toString().split("\n").slice(0, 2), [
          readlinkSync("/proc/self/fd/0"),
          readlinkSync("/proc/self/fd/1"),
        ]);
        assert.equal(proc.returncode, 0);
      } finally {
        await reap(proc);
      }
    }),
  );

  // aiots contract: a file descriptor as stdout
  test("stdout as a file descriptor writes into that file", () =>
    runMain(async () => {
      const file = join(tmpRoot, "out.txt");
      const fd = openSync(file, "w");
      let proc: asyncio.Process;
      try {
        proc = await asyncio.createSubprocessShell("echo into the file", { stdout: fd });
      } finally {
        closeSync(fd);
      }
      try {
        assert.equal(proc.stdout, null);
        assert.equal(await proc.wait(), 0);
        assert.equal(readFileSync(file, "utf8"), "into the file\n");
      } finally {
        await reap(proc);
      }
    }));

  // aiots contract (Popen's cwd)
  test("cwd: the child starts in that directory", () =>
    runMain(async () => {
      const dir = realpathSync(tmpRoot);
      const proc = await asyncio.createSubprocessExec("pwd", "-P", { stdout: PIPE, cwd: dir });
      try {
        const [out] = await proc.communicate();
        assert.equal(out!.toString().trim(), dir);
      } finally {
        await reap(proc);
      }
    }));

  // test_subprocess.py: test_create_subprocess_env_shell and test_create_subprocess_env_exec
  test("env: the child gets exactly the given environment (shell and exec)", () =>
    runMain(async () => {
      const env = { PATH: process.env.PATH, AIOTS_FOO: "bar baz" };
      const procs = [
        await asyncio.createSubprocessShell('printf "%s|%s" "$AIOTS_FOO" "$HOME"', {
          stdout: PIPE,
          env,
        }),
        await asyncio.createSubprocessExec("sh", "-c", 'printf "%s|%s" "$AIOTS_FOO" "$HOME"', {
          stdout: PIPE,
          env,
        }),
      ];
      try {
        for (const proc of procs) {
          const [out] = await proc.communicate();
          assert.equal(out!.toString(), "bar baz|");
        }
      } finally {
        for (const proc of procs) await reap(proc);
      }
    }));
});

describe("errors and argument checks", () => {
  // aiots contract (CPython raises FileNotFoundError from Popen)
  test("a missing program → FileNotFoundError; a missing cwd too", () =>
    runMain(async () => {
      const e1 = await failure(() =>
        asyncio.createSubprocessExec(join(tmpRoot, "no-such-program"), { stdout: PIPE }),
      );
      assert.ok(e1 instanceof asyncio.FileNotFoundError, String(e1));
      assert.ok(e1 instanceof asyncio.OSError);
      assert.equal((e1 as asyncio.OSError).errno, "ENOENT");
      const e2 = await failure(() => asyncio.createSubprocessExec("aiots-no-such-program-xyz"));
      assert.ok(e2 instanceof asyncio.FileNotFoundError, String(e2));
      const e3 = await failure(() =>
        asyncio.createSubprocessExec("pwd", { cwd: join(tmpRoot, "no-such-dir"), stdin: PIPE }),
      );
      assert.ok(e3 instanceof asyncio.FileNotFoundError, String(e3));
      // The shell itself exists: a missing command is its exit status 127
      const sh = await asyncio.createSubprocessShell("aiots-no-such-program-xyz", { stderr: DEVNULL });
      assert.equal(await sh.wait(), 127);
    }));

  // aiots contract (CPython raises PermissionError from Popen)
  test("a file without execute permission → PermissionError", () =>
    runMain(async () => {
      const file = join(tmpRoot, "not-executable.sh");
      writeFileSync(file, "#!/bin/sh\necho hi\n");
      chmodSync(file, 0o644);
      const err = await failure(() => asyncio.createSubprocessExec(file, { stdout: PIPE }));
      assert.ok(err instanceof asyncio.PermissionError, String(err));
      assert.equal((err as asyncio.OSError).errno, "EACCES");
    }));

  // test_subprocess.py: test_create_subprocess_exec_text_mode_fails (bad arguments refused up front)
  test("bad arguments → ArgumentTypeError / ValueError, and no child is started", () =>
    runMain(async () => {
      const exec = asyncio.createSubprocessExec as (...a: unknown[]) => asyncio.Awaitable<asyncio.Process>;
      const shell = asyncio.createSubprocessShell as (...a: unknown[]) => asyncio.Awaitable<asyncio.Process>;
      const cases: [() => PromiseLike<unknown>, new (...a: any[]) => Error][] = [
        [() => exec("cat", { stdin: STDOUT }), asyncio.ValueError],
        [() => exec("cat", { stdout: STDOUT }), asyncio.ValueError],
        [() => shell("cat", { stdin: STDOUT }), asyncio.ValueError],
        [() => exec("cat", { stdout: -7 }), asyncio.ValueError],
        [() => exec("cat", { limit: 0 }), asyncio.ValueError],
        [() => exec("cat", { limit: -1 }), asyncio.ValueError],
        [() => exec("cat", { stdin: "pipe" }), asyncio.ArgumentTypeError],
        [() => exec("echo", 1), asyncio.ArgumentTypeError],
        [() => exec("echo", "a", null, "b"), asyncio.ArgumentTypeError],
        [() => exec(42), asyncio.ArgumentTypeError],
        [() => exec(""), asyncio.ArgumentTypeError],
        [() => shell(["echo", "hi"]), asyncio.ArgumentTypeError],
        [() => shell("echo", "notoptions"), asyncio.ArgumentTypeError],
      ];
      for (const [i, [fn, cls]] of cases.entries()) {
        const err = await failure(fn);
        assert.ok(err instanceof cls, `case ${i}: ${String(err)}`);
      }
      assert.ok(new asyncio.ArgumentTypeError("x") instanceof TypeError);
    }));

  // aiots contract: communicate() checks its input
  test("communicate(input) without stdin: PIPE → ValueError; non-bytes input → ArgumentTypeError", () =>
    runMain(async () => {
      const proc = await asyncio.createSubprocessExec("cat", { stdin: PIPE, stdout: PIPE });
      const noStdin = await asyncio.createSubprocessShell("exit 0", { stdout: PIPE });
      try {
        assert.ok((await failure(() => noStdin.communicate("x"))) instanceof asyncio.ValueError);
        const bad = await failure(() => proc.communicate(123 as unknown as string));
        assert.ok(bad instanceof asyncio.ArgumentTypeError, String(bad));
        // The failed calls changed nothing: the child is still usable
        const [out] = await proc.communicate(new Uint8Array([0x6f, 0x6b]));
        assert.equal(out!.toString(), "ok");
        assert.deepEqual(await noStdin.communicate(), [Buffer.alloc(0), null]);
      } finally {
        await reap(proc);
        await reap(noStdin);
      }
    }));
});

describe("cancellation", () => {
  // test_subprocess.py: SubprocessMixin.test_cancel_process_wait
  bothForms("test_cancel_process_wait: the wait is cancelled, the child keeps running", {
    async: () =>
      runMain(async () => {
        const proc = await asyncio.createSubprocessExec(...BLOCKED);
        try {
          const other = asyncio.createTask(async () => await proc.wait());
          const task = asyncio.createTask(async () => await proc.wait());
          await runBriefly();
          task.cancel();
          assert.ok(isCancelled(await caught(task)));
          assert.ok(task.cancelled());
          assert.equal(task.cancel(), false); // already done
          assert.equal(proc.returncode, null);
          assert.ok(alive(proc.pid));
          assert.equal(other.done(), false);
          proc.kill();
          assert.equal(await proc.wait(), -SIG.SIGKILL);
          assert.equal(await other, -SIG.SIGKILL); // the other waiter was not disturbed
        } finally {
          await reap(proc);
        }
      }),
    gen: () =>
      runMain(function* () {
        const proc = yield* asyncio.createSubprocessExec(...BLOCKED);
        try {
          const other = asyncio.createTask(function* () {
            return yield* proc.wait();
          });
          const task = asyncio.createTask(function* () {
            return yield* proc.wait();
          });
          yield* runBrieflyGen();
          task.cancel();
          assert.ok(isCancelled(yield* caughtGen(task)));
          assert.ok(task.cancelled());
          assert.equal(proc.returncode, null);
          assert.ok(alive(proc.pid));
          assert.equal(other.done(), false);
          proc.kill();
          assert.equal(yield* proc.wait(), -SIG.SIGKILL);
          assert.equal(yield* other, -SIG.SIGKILL);
        } finally {
          yield* reapGen(proc);
        }
      }),
  });

  // aiots contract: cancelling communicate() leaves the child running (as in CPython)
  bothForms("cancelling communicate(): CancelledError, the child still runs, then kill and wait", {
    async: () =>
      runMain(async () => {
        const proc = await asyncio.createSubprocessShell("echo started; exec sleep 3600", {
          stdin: PIPE,
          stdout: PIPE,
          stderr: PIPE,
        });
        try {
          const task = asyncio.createTask(async () => await proc.communicate("input"));
          await runBriefly(3);
          assert.equal(task.done(), false);
          task.cancel();
          assert.ok(isCancelled(await caught(task)));
          assert.equal(proc.returncode, null);
          assert.ok(alive(proc.pid));
          proc.kill();
          assert.equal(await proc.wait(), -SIG.SIGKILL);
        } finally {
          await reap(proc);
        }
      }),
    gen: () =>
      runMain(function* () {
        const proc = yield* asyncio.createSubprocessShell("echo started; exec sleep 3600", {
          stdin: PIPE,
          stdout: PIPE,
          stderr: PIPE,
        });
        try {
          const task = asyncio.createTask(function* () {
            return yield* proc.communicate("input");
          });
          yield* runBrieflyGen(3);
          assert.equal(task.done(), false);
          task.cancel();
          assert.ok(isCancelled(yield* caughtGen(task)));
          assert.equal(proc.returncode, null);
          assert.ok(alive(proc.pid));
          proc.kill();
          assert.equal(yield* proc.wait(), -SIG.SIGKILL);
        } finally {
          yield* reapGen(proc);
        }
      }),
  });

  // aiots contract (streams): a cancelled stdout.read() leaves the stream and the child usable
  bothForms("cancelling stdout.read(): CancelledError, the child and the stream stay usable", {
    async: () =>
      runMain(async () => {
        const proc = await asyncio.createSubprocessExec("cat", { stdin: PIPE, stdout: PIPE });
        try {
          const task = asyncio.createTask(async () => await proc.stdout!.read());
          await runBriefly(2);
          task.cancel();
          assert.ok(isCancelled(await caught(task)));
          assert.ok(alive(proc.pid));
          assert.equal(proc.returncode, null);
          proc.stdin!.write("after the cancel\n");
          assert.equal((await proc.stdout!.readline()).toString(), "after the cancel\n");
          proc.stdin!.close();
          assert.equal((await proc.stdout!.read()).length, 0);
          assert.equal(await proc.wait(), 0);
        } finally {
          await reap(proc);
        }
      }),
    gen: () =>
      runMain(function* () {
        const proc = yield* asyncio.createSubprocessExec("cat", { stdin: PIPE, stdout: PIPE });
        try {
          const task = asyncio.createTask(function* () {
            return yield* proc.stdout!.read();
          });
          yield* runBrieflyGen(2);
          task.cancel();
          assert.ok(isCancelled(yield* caughtGen(task)));
          assert.ok(alive(proc.pid));
          proc.stdin!.write("after the cancel\n");
          assert.equal((yield* proc.stdout!.readline()).toString(), "after the cancel\n");
          proc.stdin!.close();
          assert.equal((yield* proc.stdout!.read()).length, 0);
          assert.equal(yield* proc.wait(), 0);
        } finally {
          yield* reapGen(proc);
        }
      }),
  });

  /** Pids of processes whose environment holds `marker` (children started for one test). */
  function pidsWithMarker(marker: string): number[] {
    const found: number[] = [];
    for (const d of readdirSync("/proc")) {
      if (!/^\d+$/.test(d)) continue;
      try {
        if (readFileSync(`/proc/${d}/environ`, "latin1").includes(marker)) found.push(Number(d));
      } catch {
        // gone meanwhile, or not ours
      }
    }
    return found;
  }

  const markerSkip = hasProc ? false : "needs /proc";

  // test_subprocess.py: SubprocessMixin.test_cancel_make_subprocess_transport_exec (CPython kills
  // and waits for a child whose creation was cancelled)
  bothForms("cancelling createSubprocessExec() kills and reaps the child it started", {
    async: () =>
      runMain(async () => {
        if (markerSkip) return;
        let cancelledAfterSpawn = 0;
        for (let n = 1; n <= 4; n++) {
          const marker = `AIOTS_SUBPROCESS_TEST=${process.pid}-a${n}`;
          const env = { ...process.env, AIOTS_SUBPROCESS_TEST: marker.split("=")[1] };
          const task = asyncio.createTask(
            async () => await asyncio.createSubprocessExec(...BLOCKED, { stdout: PIPE, env }),
          );
          await runBriefly(n); // the task has started the child
          task.cancel();
          const err = await caught(task);
          try {
            if (err === NO_ERROR) continue; // created before the cancel arrived
            assert.ok(isCancelled(err), String(err));
            cancelledAfterSpawn++;
            assert.deepEqual(pidsWithMarker(marker), []);
          } finally {
            if (err === NO_ERROR) await reap(task.result());
            for (const pid of pidsWithMarker(marker)) process.kill(pid, "SIGKILL");
          }
        }
        assert.ok(cancelledAfterSpawn > 0);
      }),
    gen: () =>
      runMain(function* () {
        if (markerSkip) return;
        let cancelledAfterSpawn = 0;
        for (let n = 1; n <= 4; n++) {
          const marker = `AIOTS_SUBPROCESS_TEST=${process.pid}-g${n}`;
          const env = { ...process.env, AIOTS_SUBPROCESS_TEST: marker.split("=")[1] };
          const task = asyncio.createTask(function* () {
            return yield* asyncio.createSubprocessShell("exec sleep 3600", { stdin: PIPE, env });
          });
          yield* runBrieflyGen(n);
          task.cancel();
          const err = yield* caughtGen(task);
          try {
            if (err === NO_ERROR) continue;
            assert.ok(isCancelled(err), String(err));
            cancelledAfterSpawn++;
            assert.deepEqual(pidsWithMarker(marker), []);
          } finally {
            if (err === NO_ERROR) yield* reapGen(task.result());
            for (const pid of pidsWithMarker(marker)) process.kill(pid, "SIGKILL");
          }
        }
        assert.ok(cancelledAfterSpawn > 0);
      }),
  });
});
