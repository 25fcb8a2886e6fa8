"""The yardstick: a hello-world Flask app, served by the same gunicorn and loaded by the same wrk in the same run.

Every page's throughput is also given as a ratio to this app's, which says how close a page comes to the physical
limit of Flask on this machine (the trivial route of the LMS measures the LMS's own request pipeline instead).
"""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "Hello, World!"
