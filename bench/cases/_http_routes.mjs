// The route table every HTTP benchmark server registers (cases/http_server.py builds the same table in
// Python), and what the driver checks before it measures.
//
// 100 routes: the three measured ones — GET / (text), GET /users/{id} (param), GET /json (JSON) — and
// 97 fillers of four shapes: a static path, a {param} behind a distinct prefix, a {param} under the
// shared /users prefix with a distinct static tail, and a longer static path. The measured routes are
// spread through the table (positions 34, 67 and 100 in registration order), so a router that scans
// its routes in order (Express, aiohttp 3.8) pays for a realistic share of the table.

export const MEASURED = [
  { id: "root", label: "GET /", path: "/", body: "Hello, World!", type: "text/plain" },
  { id: "user", label: "GET /users/12345", path: "/users/12345", body: "user 12345", type: "text/plain" },
  { id: "json", label: "GET /json", path: "/json", body: '{"hello":"world"}', type: "application/json" },
];

/**
 * Every route in registration order: { kind, path } with `path` in aiohttp/aiots syntax ({id});
 * `colon(path)` gives the :id form. kind: "root" | "json" | "user" for the measured routes,
 * "static" | "param" | "user-tail" for fillers; fillers carry their number k (their body is `route k`,
 * or `route k <id>` for param routes).
 */
export function routeTable() {
  const fillers = [];
  for (let k = 0; k < 97; k++) {
    switch (k % 4) {
      case 0:
        fillers.push({ kind: "static", k, path: `/static${k}/list` });
        break;
      case 1:
        fillers.push({ kind: "param", k, path: `/items${k}/{id}` });
        break;
      case 2:
        fillers.push({ kind: "user-tail", k, path: `/users/{id}/posts${k}` });
        break;
      default:
        fillers.push({ kind: "static", k, path: `/api/v1/things${k}/all` });
    }
  }
  return [
    ...fillers.slice(0, 33),
    { kind: "root", path: "/" },
    ...fillers.slice(33, 65),
    { kind: "user", path: "/users/{id}" },
    ...fillers.slice(65),
    { kind: "json", path: "/json" },
  ];
}

export const colon = (path) => path.replace(/\{(\w+)\}/g, ":$1");

/** Filler requests the driver checks too (path → expected body), one of each shape. */
export const FILLER_CHECKS = [
  { path: "/static0/list", body: "route 0" },
  { path: "/items1/abc", body: "route 1 abc" },
  { path: "/users/77/posts2", body: "route 2 77" },
  { path: "/api/v1/things95/all", body: "route 95" },
];
