"""Lernwerk's own key for LTI: made at its first use, its private part sealed by
`secret_box`, its public part published at /lti/jwks. (Rotation: a new row; the
oldest signs, all are published.)"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lms import secret_box
from lms.lti import protocol
from lms.models.lti import LtiToolKey

log = logging.getLogger("lms.lti")


def signing_key(session: Session, now: datetime) -> LtiToolKey:
    """Lernwerk's key for LTI, made at its first use (the oldest, should two instances
    have made one at the same moment: both are published). Flushes when it makes one."""
    key = session.scalar(select(LtiToolKey).order_by(LtiToolKey.id).limit(1))
    if key is not None:
        return key
    kid, public, private = protocol.new_key()
    key = LtiToolKey(
        kid=kid, public_jwk=public, private_key=secret_box.seal(private), created_at=now
    )
    session.add(key)
    session.flush()
    log.info("made Lernwerk's LTI signing key %s", kid)
    return key


def published_keys(session: Session) -> dict[str, Any]:
    """The JWKS document of /lti/jwks: the public parts of Lernwerk's keys."""
    rows = session.scalars(select(LtiToolKey.public_jwk).order_by(LtiToolKey.id))
    return {"keys": [json.loads(row) for row in rows]}
