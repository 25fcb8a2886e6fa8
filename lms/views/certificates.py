"""Certificates: the holder's list and files, admin issuing and revocation, public verification."""

from flask import Blueprint

bp = Blueprint("certificates", __name__)
