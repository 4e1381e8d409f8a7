"""The Stripe stand-in as `make run` runs it: a process of its own, whose simulations
another process drives over HTTP (`simulate`), and whose state survives a restart
(`--state`), so a second `make run` finds the accounts the database names."""

import pytest
import stripe

from devtools.stripe_standin import StripeStandin, simulate

KEY = "sk_test_standinState0123456789"
THEN = 1_700_000_000


def _client(url: str, account: str | None = None) -> stripe.StripeClient:
    return stripe.StripeClient(KEY, stripe_account=account, base_addresses={"api": url})


def test_simulations_over_http_and_state_kept_across_a_restart(tmp_path):
    path = tmp_path / "standin.json"
    first = StripeStandin()
    first.keep_state(path)
    url = first.start()
    try:
        account = _client(url).v1.accounts.create({"type": "standard"}, {"idempotency_key": "k"})
        simulate(url, "complete_onboarding", account_id=account.id)
        gym = _client(url, account.id)
        product = gym.v1.products.create({"name": "Pro"})
        price = gym.v1.prices.create(
            {
                "product": product.id,
                "unit_amount": 4900,
                "currency": "eur",
                "recurring": {"interval": "month"},
            }
        )
        customer = gym.v1.customers.create({"email": "ana@example.com"})
        session = gym.v1.checkout.sessions.create(
            {
                "mode": "subscription",
                "customer": customer.id,
                "success_url": "https://example.com/back",
                "line_items": [{"price": price.id, "quantity": 1}],
            }
        )
        # A history dated in the past: "now" pinned for the simulation.
        simulate(url, "clock", now=THEN)
        events = simulate(url, "complete_checkout", key=account.id, session_id=session.id)
        simulate(url, "clock", now=None)
        assert events[-1]["type"] == "checkout.session.completed"
        assert {(e["created"], e["account"]) for e in events} == {(THEN, account.id)}
        subscription = events[-1]["data"]["object"]["subscription"]
        with pytest.raises(RuntimeError, match="Unknown simulation"):
            simulate(url, "print_money", key=account.id)
        with pytest.raises(RuntimeError, match="No such subscription"):
            simulate(url, "renew", key=account.id, sub_id="sub_nothere")
    finally:
        first.stop()
        first.save()

    second = StripeStandin()
    second.keep_state(path)
    url = second.start()
    try:
        assert _client(url).v1.accounts.retrieve(account.id).details_submitted
        kept = _client(url, account.id).v1.subscriptions.retrieve(subscription)
        assert (kept.status, kept.start_date) == ("active", THEN)
        # Idempotency keys are kept too: the same request gets the same account.
        again = _client(url).v1.accounts.create({"type": "standard"}, {"idempotency_key": "k"})
        assert again.id == account.id
        # And the account's events go on from where they were.
        events = simulate(url, "renew", key=account.id, sub_id=subscription, pay=False)
        assert [e["type"] for e in events][-1] == "customer.subscription.updated"
        assert second.get(account.id, subscription)["status"] == "past_due"
    finally:
        second.stop()
