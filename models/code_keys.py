"""The code keys a database was filed with, by id and fingerprint — never the secret.

A database's codes are only as good as the key that checks them: a key file from another
folder or another district would call every genuine code forged. Recording each key's
fingerprint binds the keys to their database, so a wrong key is told apart from a forged
code, and a key id that is no longer in the key file is known to be retired.
"""

import datetime as dt

from sqlalchemy import Column, DateTime
from sqlmodel import Field, SQLModel


class RegisteredKey(SQLModel, table=True):
    __tablename__ = "code_key"
    key_id: str = Field(primary_key=True, max_length=16)
    #: ``key_fingerprint``: an HMAC of a fixed label under the key, so it names the key
    #: without revealing anything that helps forge a code.
    fingerprint: str = Field(max_length=64)
    registered_at: dt.datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
