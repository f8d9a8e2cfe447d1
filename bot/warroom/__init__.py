"""The war-room: crisis drafts, approval by people, Slack, and on-call escalation.

Detection (`responders/crisis.py`, `bot/spike_watch.py`) writes alert and draft records; this
package lets people act on them. Everything that changes a draft goes through one
`ApprovalService`, whether the click came from Slack, the REST API or the CLI, so the rules
(compare-and-set, one publication, an audit entry per attempt) hold on every path.
"""
