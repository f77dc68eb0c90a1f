// The Node.js `http` peer of `loadtop serve` in profiles/compare-peers.toml:
// the smallest idiomatic hello server, answering /plaintext like loadtop does.
// Usage: node node-hello.js PORT
const http = require("http");

const hello = Buffer.from("Hello, World!");
const port = Number(process.argv[2] || 0);

const server = http.createServer((req, res) => {
  if (req.url === "/plaintext") {
    res.writeHead(200, {
      "Content-Type": "text/plain; charset=utf-8",
      "Content-Length": hello.length,
    });
    res.end(hello);
  } else {
    res.writeHead(404, { "Content-Length": 0 });
    res.end();
  }
});
server.listen(port, "127.0.0.1", () => {
  console.log(`listening=http://127.0.0.1:${server.address().port}`);
});
