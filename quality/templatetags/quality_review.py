"""The agent's review of an audit, for the evaluation page's review panel
(``quality/review_panel.html``): the page's view stays as it is and the panel reads its
own data, including what a failed dispute post left on the request
(:func:`quality.views.review.review_dispute`)."""

from django import template

from .. import selectors_review

register = template.Library()


@register.simple_tag(takes_context=True)
def agent_review(context, evaluation):
    """:class:`quality.selectors_review.AgentReview` of ``evaluation`` for the signed-in
    user, or None when the audit is not under review."""
    request = context.get("request")
    if request is None or evaluation is None:
        return None
    post = getattr(request, "review_post", None) or {}
    review = selectors_review.agent_review(evaluation, request.user,
                                           posted=post.get("posted"), error=post.get("error"))
    if review is not None and not review.is_agent:
        review.may_open_rounds = request.user.has_perm("quality.review_disputes",
                                                       request.organization)
    return review
