/**
 * Subprocesses with pipes: feed a child through stdin while reading its stdout line by line, run a
 * shell command with `communicate()`, and stop a long-running child with a timeout.
 *
 *   npm exec -- node --import tsx examples/subprocess-pipeline.ts
 */
import * as asyncio from "aiots";

await asyncio.run(async () => {
  // 1. Stream through a child: `sort` reads all of stdin, then prints; read its output as lines.
  const sort = await asyncio.createSubprocessExec("sort", { stdin: asyncio.PIPE, stdout: asyncio.PIPE });
  for (const word of ["pear", "apple", "fig"]) sort.stdin!.write(`${word}\n`);
  await sort.stdin!.drain(); // back-pressure: waits if the child is not reading
  sort.stdin!.close();
  for await (const line of sort.stdout!) console.log(`sorted: ${line.toString().trimEnd()}`);
  console.log(`sort exited with ${await sort.wait()}`);

  // 2. A shell command, stderr merged into stdout, everything collected at once (no deadlock on big output).
  const sh = await asyncio.createSubprocessShell("echo out; echo err >&2; exit 3", {
    stdout: asyncio.PIPE,
    stderr: asyncio.STDOUT,
  });
  const [out] = await sh.communicate();
  console.log(`shell said ${JSON.stringify(out!.toString())}, returncode ${sh.returncode}`);

  // 3. A child that would run for a minute: waitFor cancels the wait, we terminate the child.
  const slow = await asyncio.createSubprocessExec("sleep", "60");
  try {
    await asyncio.waitFor(slow.wait(), 0.2);
  } catch (e) {
    if (!(e instanceof asyncio.TimeoutError)) throw e;
    slow.terminate();
    console.log(`timed out; terminated, returncode ${await slow.wait()}`); // -15: killed by SIGTERM
  }
});
