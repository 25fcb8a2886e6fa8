"""Signed Open Badges 3.0 credentials: download, the published key set, verification."""

from flask import Blueprint

bp = Blueprint("credentials", __name__)
