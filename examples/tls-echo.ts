/**
 * TLS with streams: a server with a certificate, a client that verifies it, and STARTTLS (a plain
 * connection upgraded with `writer.startTls`). Makes a throw-away self-signed certificate with the
 * `openssl` CLI.
 *
 *   npm exec -- node --import tsx examples/tls-echo.ts
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as asyncio from "aiots";

const dir = mkdtempSync(join(tmpdir(), "aiots-tls-"));
execFileSync(
  "openssl",
  [
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "1",
    "-subj",
    "/CN=localhost",
    "-addext",
    "subjectAltName=DNS:localhost",
    "-keyout",
    join(dir, "key.pem"),
    "-out",
    join(dir, "cert.pem"),
  ],
  { stdio: "ignore" },
);
const cert = readFileSync(join(dir, "cert.pem"));
const key = readFileSync(join(dir, "key.pem"));
rmSync(dir, { recursive: true });

async function echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter): Promise<void> {
  for await (const line of reader) {
    writer.write(line);
    await writer.drain();
  }
  writer.close();
}

await asyncio.run(async () => {
  // 1. TLS from the first byte.
  await using server = await asyncio.startServer(echo, "127.0.0.1", 0, { ssl: { cert, key } });
  const port = (server.sockets[0]!.getsockname() as [string, number])[1];
  const [reader, writer] = await asyncio.openConnection("127.0.0.1", port, {
    ssl: { ca: cert },
    serverHostname: "localhost",
  });
  writer.write("over TLS\n");
  console.log(`echo: ${(await reader.readline()).toString().trimEnd()}`);
  const cipher = writer.getExtraInfo("cipher") as { version: string };
  console.log(`protocol: ${cipher.version.startsWith("TLS") ? "TLS" : cipher.version}`);
  writer.close();
  await writer.waitClosed();

  // 2. STARTTLS: plain text first, then both sides upgrade the same connection.
  await using plain = await asyncio.startServer(
    async (r: asyncio.StreamReader, w: asyncio.StreamWriter) => {
      if ((await r.readline()).toString() === "STARTTLS\n") {
        w.write("OK\n");
        await w.startTls({ cert, key });
        await echo(r, w);
      }
    },
    "127.0.0.1",
    0,
  );
  const port2 = (plain.sockets[0]!.getsockname() as [string, number])[1];
  const [r2, w2] = await asyncio.openConnection("127.0.0.1", port2);
  w2.write("STARTTLS\n");
  console.log(`server: ${(await r2.readline()).toString().trimEnd()}`);
  await w2.startTls({ ca: cert }, { serverHostname: "localhost" });
  w2.write("upgraded\n");
  console.log(`echo after STARTTLS: ${(await r2.readline()).toString().trimEnd()}`);
  w2.close();
  await w2.waitClosed();
});
