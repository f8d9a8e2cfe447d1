"""A campaign's preview as lines of text: one per post, then one per problem.

One place for it because the CLI (`campaigns preview`), the README's example and the Slack
modal's errors all show the same lines, so a person sees the same words wherever they look.
"""

from __future__ import annotations

from scheduler.campaign_plan import CampaignPlan


def preview_lines(plan: CampaignPlan) -> list[str]:
    lines = []
    if plan.definition is not None:
        window = plan.definition.window
        lines.append(
            f"campaign {plan.campaign_id}: {plan.definition.name} "
            f"({window.start} to {window.end}, {window.timezone}, {plan.definition.account} account)"
        )
    for post in plan.posts:
        local = post.at.local.strftime("%Y-%m-%d %H:%M %z")
        lines.append(
            f"step {post.n}  {local}  {post.at.utc_text}  {post.channel:<9} {post.lang}  "
            f"{post.length:>4}/{post.limit:<4}  {post.text}"
        )
    for problem in plan.errors:
        where = " ".join(
            part
            for part in (
                f"step {problem.step}" if problem.step is not None else "",
                problem.channel or "",
                problem.lang or "",
            )
            if part
        )
        lines.append(f"error {where or 'file'}: {problem.error}")
    return lines
