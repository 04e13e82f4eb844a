"""The store's Ed25519 key pair: created by init (private key 0600), signs day heads and
anchors; the public key (keys/store.pub) is what an auditor needs to check them."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (Ed25519PrivateKey,
                                                               Ed25519PublicKey)

from .atomic import fsync_dir

PRIVATE_NAME = "store.key"
PUBLIC_NAME = "store.pub"


def canonical(obj: dict) -> bytes:
    """The one byte form of a JSON object that is hashed or signed."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=True).encode("ascii")


def create(keys_dir: Path) -> Ed25519PrivateKey:
    keys_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    # O_EXCL + 0600 from the start: the key is never readable by others, not even briefly.
    fd = os.open(keys_dir / PRIVATE_NAME, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, pem)
        os.fsync(fd)
    finally:
        os.close(fd)
    (keys_dir / PUBLIC_NAME).write_bytes(public_pem(key.public_key()))
    fsync_dir(keys_dir)
    return key


def public_pem(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.PEM,
                               serialization.PublicFormat.SubjectPublicKeyInfo)


def load_private(keys_dir: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key((keys_dir / PRIVATE_NAME).read_bytes(), None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("the store key is not an Ed25519 key")
    return key


def load_public(path: Path) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(path.read_bytes())
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError(f"{path} is not an Ed25519 public key")
    return key


def fingerprint(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def sign(key: Ed25519PrivateKey, purpose: bytes, body: dict) -> str:
    return base64.b64encode(key.sign(purpose + canonical(body))).decode("ascii")


def check(public: Ed25519PublicKey, purpose: bytes, body: dict, signature: str) -> bool:
    try:
        public.verify(base64.b64decode(signature, validate=True), purpose + canonical(body))
        return True
    except (InvalidSignature, ValueError, TypeError):
        return False
