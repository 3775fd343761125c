"""The yardstick: the smallest Flask app that reads a JSON body and answers JSON, served by
gunicorn with the same flags as the hall. The ticket endpoint's figures are read beside it."""
from flask import Flask, jsonify, request

app = Flask(__name__)


@app.route("/ping", methods=["GET", "POST"])
def ping():
    body = request.get_json(silent=True) or {}
    return jsonify(ok=True, service=body.get("service")), 201 if request.method == "POST" else 200
