"""The kinds of versioned records the service keeps, named once.

Every record (a case, an alert, a draft, ...) is stored under one of these kinds. The enum is a
`StrEnum`, so stored keys stay the plain strings they always were ("alert", "case") and old
stores keep working.
"""

from __future__ import annotations

from enum import StrEnum


class RecordKind(StrEnum):
    """What a stored record is."""

    ALERT = "alert"
    CASE = "case"
    DRAFT = "draft"
    INCIDENT = "incident"
    AGENT_QUEUE = "agent_queue"
    ECHO = "echo"
    WARROOM = "warroom"
    CAMPAIGN = "campaign"
    OPT_OUT = "opt_out"
    # When each person last wrote on a private channel (segment messages respect its window).
    CONTACT = "contact"
    # Cases: which case an identity's follow-ups join, which case each message went to, and
    # the counter the short case references come from.
    CASE_IDENTITY = "case_identity"
    CASE_MESSAGE = "case_message"
    COUNTER = "counter"
    # Customers, and which customer each social identity (channel + handle) belongs to.
    CUSTOMER = "customer"
    IDENTITY = "identity"
    # Per case: where its CRM ticket stands (status pending / synced / failed / local).
    CRM_SYNC = "crm_sync"
    # A person's correction of a decision (id: the message key): the Quality view's figure.
    CORRECTION = "correction"
    # A customer's reply that helps another customer (id: the reply's key): the People view.
    COMMUNITY_REPLY = "community_reply"
    # Self-identification: which customer an e-mail or contract number belongs to (id: a
    # digest of it), the code waiting for an identity's answer (id: the identity), the secret
    # the codes are derived from.
    CUSTOMER_KEY = "customer_key"
    SELF_ID_CHALLENGE = "self_id_challenge"
    SELF_ID_SECRET = "self_id_secret"
    # Each message that took part in a customer's identification (id: the message key).
    SELF_ID_MESSAGE = "self_id_message"
    # A CRM-side erasure of an erased customer, queued for the CRM (id: the customer id).
    CRM_ERASURE = "crm_erasure"
