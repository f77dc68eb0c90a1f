"""The Flask peer of `loadtop serve` in profiles/compare-peers.toml: /plaintext
from the smallest Flask app, served by Flask's built-in (Werkzeug) server with
`python3 flask-hello.py PORT`, or by gunicorn with
`gunicorn --chdir profiles/peers --bind 127.0.0.1:PORT flask-hello:app`.
"""

import sys

from flask import Flask, Response

app = Flask(__name__)


@app.route("/plaintext")
def plaintext():
    return Response(b"Hello, World!", mimetype="text/plain")


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    app.run(host="127.0.0.1", port=port, threaded=True)
