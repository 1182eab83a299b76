"""Hub table ``security_reactor_verdicts``: the verifier's signed verdicts.

One item per verified version (hash ``reactor_id``, range ``version``), written only by the Hub's
verifier (``hub_verify``: its role is the only one granted PutItem on this table, `deploy.iam`),
never by publishing: a ``security_reactors`` item saying ``verified`` is not enough for a consumer
to install anything. The item holds the exact statement the verifier signed (canonical JSON of
reactor id, version, artifact sha256 and declared permissions, `ouroboros.reactors.verdict`), the
signature, the algorithm and the signing key's id. Consumers check the signature offline with the
Hub's public key; the fields beside it only make refusals readable.
"""

from __future__ import annotations

from typing import ClassVar

from pynamodb.attributes import UnicodeAttribute, UTCDateTimeAttribute

from ouroboros.models.base import OuroborosModel


class HubVerdictModel(OuroborosModel):
    """The signed verdict of one verified reactor version."""

    short_name: ClassVar[str] = "security_reactor_verdicts"
    side: ClassVar[str] = "hub"  # type: ignore[assignment]

    class Meta(OuroborosModel.Meta):
        pass

    reactor_id = UnicodeAttribute(hash_key=True)
    version = UnicodeAttribute(range_key=True)
    #: The canonical JSON the signature covers (`ouroboros.reactors.verdict.verdict_statement`).
    statement = UnicodeAttribute()
    #: Base64 of the signature (DER-encoded ECDSA, as KMS and `cryptography` produce it).
    signature = UnicodeAttribute()
    algorithm = UnicodeAttribute()
    #: The KMS key ARN, or ``local:<sha256 of the public key>`` for the local runtime's key.
    key_id = UnicodeAttribute()
    signed_at = UTCDateTimeAttribute()
