"""A small local stand-in for the Stripe API, for tests, benchmarks and `make run` offline.

There is no internet on these machines, so the real `stripe` SDK talks to this server
(`STRIPE_API_BASE`). It implements only the endpoints billing uses, with Stripe's request
and response shapes: form-encoded bodies with bracketed keys, JSON objects carrying
`object` and prefixed ids, list objects, and Stripe's error JSON (400 for a missing or
bad parameter, 404 for an unknown id, 401 for a missing or malformed key). Each secret key
is its own account: objects made with one key are "No such ..." (404) with another, as on
Stripe.

Stripe moves time and money by itself (renewals, retries); here tests drive that with the
simulation methods (`complete_checkout`, `renew`, `retry_invoice`, ...), which change the
objects and return the events Stripe would send.

Stripe Connect: a platform key creates connected accounts (`POST /v1/accounts`) and
onboarding links (`POST /v1/account_links`, a URL on this server that completes onboarding
when followed); a request with the `Stripe-Account` header acts on that connected account
(its own objects, as on Stripe; another platform's account is 403), and its events carry
`account`. Simulations take a secret key or a connected account's id.

`sign()` builds the `Stripe-Signature` header with Stripe's real scheme. API version
shapes follow the SDK's pinned version (current period on subscription items; invoice ->
subscription via `parent`).

Run as a process (`make run` starts one), the simulations are also reachable over HTTP,
for a process that does not hold the object: `POST /_standin/<simulation>` with a JSON
body of its arguments answers `{"events": [...]}` (`simulate()` is the client), and
`POST /_standin/clock` with `{"now": <unix seconds or null>}` pins or frees "now" (a demo
history dated in the past). These paths are the stand-in's own, not Stripe's. `--state`
keeps every account and object in a JSON file (loaded at start, written a moment after
each change and on exit), so a second `make run` finds the accounts the database names.

    python -m devtools.stripe_standin --port 12111 [--state var/stripe-standin.json]
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import re
import secrets
import signal
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

API_VERSION = "2026-08-26.dahlia"
INTERVAL_SECONDS = {"day": 86400, "week": 7 * 86400, "month": 30 * 86400, "year": 365 * 86400}
CURRENCIES = {"eur", "usd", "gbp", "chf", "cad", "aud", "sek", "nok", "dkk", "pln", "mxn", "brl"}


class StripeError(Exception):
    def __init__(self, status: int, message: str, *, param: str | None = None, code=None):
        super().__init__(message)
        self.status, self.message, self.param = status, message, param
        self.code = code or ("resource_missing" if status == 404 else "parameter_missing")

    def body(self) -> dict:
        error = {"type": "invalid_request_error", "message": self.message, "code": self.code}
        if self.status == 401:
            error = {"type": "invalid_request_error", "message": self.message}
        if self.param:
            error["param"] = self.param
        return {"error": error}


def _missing(param: str) -> StripeError:
    return StripeError(400, f"Missing required param: {param}.", param=param)


def _new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_urlsafe(18).replace('-', 'a').replace('_', 'b')[:24]}"


def decode_form(body: str) -> dict:
    """`a[b][0][c]=1` -> {"a": {"b": [{"c": "1"}]}}, as Stripe reads form bodies."""
    root: dict = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        parts = [key.split("[", 1)[0], *re.findall(r"\[([^\]]*)\]", key)]
        node = root
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            nxt_is_index = not last and parts[i + 1].isdigit()
            if isinstance(node, list):
                index = int(part)
                while len(node) <= index:
                    node.append({} if not nxt_is_index else [])
                if last:
                    node[index] = value
                else:
                    if not isinstance(node[index], (dict, list)):
                        node[index] = [] if nxt_is_index else {}
                    node = node[index]
            else:
                if last:
                    node[part] = value
                else:
                    node = node.setdefault(part, [] if nxt_is_index else {})
    return root


def _int(params: dict, name: str, *, required=False, minimum=0) -> int | None:
    if name not in params or params[name] == "":
        if required:
            raise _missing(name)
        return None
    try:
        value = int(params[name])
    except (TypeError, ValueError):
        raise StripeError(400, f"Invalid integer: {params[name]}", param=name, code=None) from None
    if value < minimum:
        raise StripeError(
            400, f"This value must be greater than or equal to {minimum}.", param=name
        )
    return value


def _bool(value) -> bool:
    return str(value).lower() == "true"


def sign(payload: bytes | str, secret: str, timestamp: int | None = None) -> str:
    """The `Stripe-Signature` header for `payload`, as Stripe computes it."""
    if isinstance(payload, bytes):
        payload = payload.decode()
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


class Account:
    def __init__(self, key: str, *, account_id: str | None = None, platform=None):
        self.id = account_id or "acct_" + hashlib.sha256(key.encode()).hexdigest()[:16]
        # A connected account (Stripe Connect): the platform account that created it, and
        # the account object as GET /v1/accounts/<id> shows it. None for a key's own one.
        self.platform: Account | None = platform
        self.profile: dict = {}
        self.objects: dict[str, dict] = {}
        self.events: list[dict] = []
        self.failing_customers: set[str] = set()
        self.idempotent: dict[str, tuple] = {}
        self.customer_items: dict[str, list[str]] = {}  # every invoice item, by customer

    def dump(self) -> dict:
        return {
            "id": self.id,
            "platform": self.platform.id if self.platform is not None else None,
            "profile": self.profile,
            "objects": self.objects,
            "events": [event["id"] for event in self.events],
            "failing_customers": sorted(self.failing_customers),
            "idempotent": {key: [list(seen[0]), seen[1]] for key, seen in self.idempotent.items()},
            "customer_items": self.customer_items,
        }

    @classmethod
    def load(cls, key: str, data: dict, platform=None) -> Account:
        acct = cls(key, account_id=data["id"], platform=platform)
        acct.profile = data["profile"]
        acct.objects = data["objects"]
        acct.events = [acct.objects[event_id] for event_id in data["events"]]
        acct.failing_customers = set(data["failing_customers"])
        acct.idempotent = {k: (tuple(seen[0]), seen[1]) for k, seen in data["idempotent"].items()}
        acct.customer_items = data["customer_items"]
        return acct


# The simulations reachable over HTTP (`POST /_standin/<name>`), and `clock`.
SIMULATIONS = (
    "complete_checkout",
    "renew",
    "retry_invoice",
    "mark_unpaid",
    "complete_onboarding",
    "fail_card",
)


class StripeStandin:
    """The server and its state. `start()` serves on a free port in a thread."""

    def __init__(self):
        self.accounts: dict[str, Account] = {}
        self.connected: dict[str, Account] = {}  # Connect accounts, by id
        self.account_links: dict[str, dict] = {}  # onboarding links, by their id
        self.lock = threading.RLock()
        self.clock: int | None = None  # tests may pin "now"
        # Seconds every API request waits before it is answered (a slow Stripe), outside
        # the state lock so that parallel requests wait side by side; `--delay` or tests.
        self.delay: float = 0.0
        self.server: ThreadingHTTPServer | None = None
        self.url = ""
        # --state: the file the state is kept in, and whether it changed since written.
        self.state_path: Path | None = None
        self.dirty = False

    # -- life ----------------------------------------------------------------------------
    def start(self, port: int = 0) -> str:
        standin = self

        class Handler(_Handler):
            pass

        Handler.standin = standin
        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        return self.url

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()

    def now(self) -> int:
        return self.clock if self.clock is not None else int(time.time())

    # -- state kept on disk (`--state`) ----------------------------------------------------
    def dump(self) -> dict:
        """Every account, connected account and onboarding link, as JSON data. The clock
        is not kept: a pinned "now" belongs to the run that pinned it."""
        with self.lock:
            return {
                "accounts": {key: acct.dump() for key, acct in self.accounts.items()},
                "connected": {i: acct.dump() for i, acct in self.connected.items()},
                "account_links": self.account_links,
            }

    def restore(self, data: dict) -> None:
        with self.lock:
            self.accounts = {key: Account.load(key, d) for key, d in data["accounts"].items()}
            platforms = {acct.id: acct for acct in self.accounts.values()}
            self.connected = {
                i: Account.load("", d, platform=platforms.get(d["platform"]))
                for i, d in data["connected"].items()
            }
            self.account_links = data.get("account_links") or {}

    def keep_state(self, path: Path, *, every: float = 1.0) -> None:
        """Load the state from `path` (if there), then write it there `every` seconds
        after a change, in a thread (and with `save()` on exit)."""
        self.state_path = path
        if path.exists():
            self.restore(json.loads(path.read_text()))

        def loop() -> None:
            while True:
                time.sleep(every)
                if self.dirty:
                    self.save()

        threading.Thread(target=loop, daemon=True).start()

    def save(self) -> None:
        """Write the state (atomically: a crash mid-write leaves the previous file)."""
        if self.state_path is None:
            return
        with self.lock:
            self.dirty = False
            data = json.dumps(self.dump())
        tmp = self.state_path.with_suffix(".tmp")
        tmp.write_text(data)
        os.replace(tmp, self.state_path)

    def changed(self) -> None:
        self.dirty = True

    def simulate(self, name: str, args: dict) -> dict:
        """A simulation (or `clock`) asked for over HTTP: {"events": [...]}."""
        if name == "clock":
            value = args.get("now")
            with self.lock:
                self.clock = int(value) if value is not None else None
            return {"events": [], "now": self.now()}
        if name not in SIMULATIONS:
            raise StripeError(404, f"Unknown simulation: {name}", code="resource_missing")
        try:
            events = getattr(self, name)(**args)
        except TypeError as exc:
            raise StripeError(400, f"Bad arguments for {name}: {exc}", code=None) from exc
        except KeyError as exc:
            raise StripeError(404, f"No such object: {exc}") from exc
        self.changed()
        return {"events": events or []}

    # -- accounts and objects --------------------------------------------------------------
    def account(self, key: str | None) -> Account:
        if not key:
            raise StripeError(
                401,
                "You did not provide an API key. You need to provide your API key in the "
                "Authorization header, using Bearer auth.",
            )
        if not re.fullmatch(r"(sk|rk)_test_[A-Za-z0-9_]{8,}", key):
            raise StripeError(401, f"Invalid API Key provided: {key[:8]}****")
        with self.lock:
            if key not in self.accounts:
                self.accounts[key] = Account(key)
            return self.accounts[key]

    def simulated(self, ref: str) -> Account:
        """The account a simulation acts on: a secret key's own, or a connected account
        by its id (`acct_...`)."""
        with self.lock:
            if ref in self.connected:
                return self.connected[ref]
            return self.account(ref)

    def _acting(self, platform: Account, stripe_account: str | None) -> Account:
        """The account a request acts on: the key's own, or (the `Stripe-Account`
        header) one of its connected accounts; any other account is refused as Stripe
        does."""
        if not stripe_account or stripe_account == platform.id:
            return platform  # the key's own account may be named too (dj-stripe does)
        found = self.connected.get(stripe_account)
        if found is None or found.platform is not platform:
            raise StripeError(
                403,
                f"The provided key does not have access to account '{stripe_account}' (or "
                "that account does not exist). Application access may have been revoked.",
                code="account_invalid",
            )
        return found

    def account_id(self, key: str) -> str:
        return self.simulated(key).id

    def _get(self, acct: Account, obj_id: str, kind: str, param: str | None = None) -> dict:
        obj = acct.objects.get(obj_id)
        if obj is None or obj["object"] != kind:
            raise StripeError(404, f"No such {kind.split('.')[-1]}: '{obj_id}'", param=param)
        return obj

    def get(self, key: str, obj_id: str) -> dict:
        """Test helper: the current object as Stripe holds it."""
        with self.lock:
            return public(self.simulated(key).objects[obj_id])

    def _store(self, acct: Account, obj: dict) -> dict:
        acct.objects[obj["id"]] = obj
        return obj

    def _event(self, acct: Account, kind: str, obj: dict, previous: dict | None = None) -> dict:
        data = {"object": public(obj)}
        if previous:
            data["previous_attributes"] = public(previous)
        event = {
            "id": _new_id("evt"),
            "object": "event",
            "api_version": API_VERSION,
            "created": self.now(),
            "data": data,
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": kind,
        }
        if acct.platform is not None:
            # Events of a connected account reach the platform's Connect endpoint, which
            # tells the accounts apart by this field.
            event["account"] = acct.id
        acct.events.append(event)
        acct.objects[event["id"]] = event
        return event

    # -- API: dispatch ---------------------------------------------------------------------
    def handle(
        self,
        method: str,
        path: str,
        key: str | None,
        params: dict,
        idempotency_key=None,
        stripe_account: str | None = None,
    ) -> dict:
        with self.lock:
            acct = self._acting(self.account(key), stripe_account)
            if method != "GET":
                self.changed()
            if method == "POST" and idempotency_key:
                # Stripe replays the first result of a key (24 h) and refuses the key with
                # other parameters.
                seen = acct.idempotent.get(idempotency_key)
                if seen is not None:
                    if seen[0] != (path, params):
                        raise StripeError(
                            400,
                            "Keys for idempotent requests can only be used with the same "
                            "parameters they were first used with.",
                            code="idempotency_key_in_use",
                        )
                    return seen[1]
                result = self._route(acct, method, path, params)
                acct.idempotent[idempotency_key] = ((path, params), result)
                return result
            return self._route(acct, method, path, params)

    def _route(self, acct: Account, method: str, path: str, params: dict) -> dict:
        routes = [
            ("GET", r"/v1/account", self.account_retrieve),
            ("POST", r"/v1/accounts", self.connect_account_create),
            ("GET", r"/v1/accounts/([^/]+)", self.connect_account_retrieve),
            ("POST", r"/v1/account_links", self.account_link_create),
            ("POST", r"/v1/products", self.product_create),
            ("GET", r"/v1/products/([^/]+)", self.product_retrieve),
            ("GET", r"/v1/products/([^/]+)/features", self.product_features),
            ("POST", r"/v1/products/([^/]+)", self.product_update),
            ("POST", r"/v1/prices", self.price_create),
            ("GET", r"/v1/prices/([^/]+)", self.price_retrieve),
            ("POST", r"/v1/prices/([^/]+)", self.price_update),
            ("POST", r"/v1/customers", self.customer_create),
            ("GET", r"/v1/customers/([^/]+)", self.customer_retrieve),
            ("POST", r"/v1/checkout/sessions", self.checkout_create),
            ("GET", r"/v1/checkout/sessions/([^/]+)", self.checkout_retrieve),
            ("GET", r"/v1/subscriptions/([^/]+)", self.subscription_retrieve),
            ("POST", r"/v1/subscriptions/([^/]+)", self.subscription_update),
            ("DELETE", r"/v1/subscriptions/([^/]+)", self.subscription_cancel),
            ("GET", r"/v1/invoices", self.invoice_list),
            ("POST", r"/v1/invoices", self.invoice_create),
            ("GET", r"/v1/invoices/([^/]+)", self.invoice_retrieve),
            ("DELETE", r"/v1/invoices/([^/]+)", self.invoice_delete),
            ("POST", r"/v1/invoices/([^/]+)/finalize", self.invoice_finalize),
            ("POST", r"/v1/invoiceitems", self.invoiceitem_create),
            ("GET", r"/v1/invoiceitems", self.invoiceitem_list),
            ("GET", r"/v1/invoiceitems/([^/]+)", self.invoiceitem_retrieve),
            ("DELETE", r"/v1/invoiceitems/([^/]+)", self.invoiceitem_delete),
            ("POST", r"/v1/credit_notes", self.credit_note_create),
            ("POST", r"/v1/billing_portal/sessions", self.portal_create),
            ("GET", r"/v1/events/([^/]+)", self.event_retrieve),
        ]
        for verb, pattern, func in routes:
            match = re.fullmatch(pattern, path)
            if verb == method and match:
                return public(func(acct, params, *match.groups()))
        raise StripeError(
            404, f"Unrecognized request URL ({method}: {path}).", code="resource_missing"
        )

    # -- account, products, prices ---------------------------------------------------------
    def account_retrieve(self, acct, params):
        if acct.platform is not None:
            return acct.profile
        return {"id": acct.id, "object": "account", "country": "DE", "charges_enabled": True}

    # -- Stripe Connect: connected accounts and onboarding links ---------------------------
    def connect_account_create(self, acct, params):
        if acct.platform is not None:
            raise StripeError(
                400, "Connected accounts cannot create connected accounts.", code=None
            )
        kind = params.get("type") or "standard"
        if kind not in ("standard", "express", "custom"):
            raise StripeError(400, f"Invalid type: {kind}", param="type", code=None)
        account_id = _new_id("acct")[:21]
        connected = Account("", account_id=account_id, platform=acct)
        connected.profile = {
            "id": account_id,
            "object": "account",
            "business_profile": {"name": (params.get("business_profile") or {}).get("name")},
            "business_type": None,
            "capabilities": {},
            "charges_enabled": False,
            "country": params.get("country") or "DE",
            "created": self.now(),
            "default_currency": "eur",
            "details_submitted": False,
            "email": params.get("email"),
            "metadata": params.get("metadata") or {},
            "payouts_enabled": False,
            "type": kind,
        }
        self.connected[account_id] = connected
        return connected.profile

    def connect_account_retrieve(self, acct, params, obj_id):
        found = self.connected.get(obj_id)
        if acct.platform is None and found is not None and found.platform is acct:
            return found.profile
        if acct.platform is not None and obj_id == acct.id:
            return acct.profile
        raise StripeError(404, f"No such account: '{obj_id}'", param="account")

    def account_link_create(self, acct, params):
        for name in ("account", "type"):
            if not params.get(name):
                raise _missing(name)
        if params["type"] not in ("account_onboarding", "account_update"):
            raise StripeError(400, f"Invalid type: {params['type']}", param="type", code=None)
        found = self.connected.get(params["account"])
        if found is None or found.platform is not acct:
            raise StripeError(404, f"No such account: '{params['account']}'", param="account")
        for name in ("refresh_url", "return_url"):
            if not params.get(name):
                raise _missing(name)
        link_id = secrets.token_urlsafe(12)
        self.account_links[link_id] = {
            "account": found.id,
            "return_url": params["return_url"],
            "refresh_url": params["refresh_url"],
            "expires_at": self.now() + 300,
        }
        return {
            "object": "account_link",
            "created": self.now(),
            "expires_at": self.now() + 300,
            "url": f"{self.url}/connect/onboarding/{link_id}",
        }

    def product_create(self, acct, params):
        if not params.get("name"):
            raise _missing("name")
        return self._store(
            acct,
            {
                "id": params.get("id") or _new_id("prod"),
                "object": "product",
                "active": _bool(params.get("active", "true")),
                "created": self.now(),
                "updated": self.now(),
                "default_price": None,
                "description": params.get("description") or None,
                "livemode": False,
                "metadata": params.get("metadata") or {},
                "name": params["name"],
                "type": "service",
            },
        )

    def product_retrieve(self, acct, params, obj_id):
        return self._get(acct, obj_id, "product")

    def product_features(self, acct, params, obj_id):
        # Entitlement features attached to a product (dj-stripe syncs them with the
        # product); none are ever attached here.
        self._get(acct, obj_id, "product")
        return self._page([], params, "created", f"/v1/products/{obj_id}/features")

    def product_update(self, acct, params, obj_id):
        product = self._get(acct, obj_id, "product")
        for field in ("name", "description"):
            if field in params:
                product[field] = params[field]
        if "active" in params:
            product["active"] = _bool(params["active"])
        if "metadata" in params:
            product["metadata"].update(params["metadata"] or {})
        product["updated"] = self.now()
        return product

    def price_create(self, acct, params):
        currency = (params.get("currency") or "").lower()
        if not currency:
            raise _missing("currency")
        if currency not in CURRENCIES:
            raise StripeError(400, f"Invalid currency: {currency}.", param="currency")
        if not params.get("product"):
            raise _missing("product")
        product = self._get(acct, params["product"], "product", param="product")
        amount = _int(params, "unit_amount", required=True)
        recurring = params.get("recurring")
        if recurring is not None:
            interval = recurring.get("interval")
            if not interval:
                raise _missing("recurring[interval]")
            if interval not in INTERVAL_SECONDS:
                raise StripeError(400, "Invalid recurring[interval]", param="recurring[interval]")
            recurring = {
                "interval": interval,
                "interval_count": int(recurring.get("interval_count") or 1),
                "usage_type": "licensed",
                "aggregate_usage": None,
                "meter": None,
                "trial_period_days": None,
            }
        return self._store(
            acct,
            {
                "id": _new_id("price"),
                "object": "price",
                "active": True,
                "billing_scheme": "per_unit",
                "created": self.now(),
                "currency": currency,
                "livemode": False,
                "lookup_key": params.get("lookup_key"),
                "metadata": params.get("metadata") or {},
                "nickname": params.get("nickname"),
                "product": product["id"],
                "recurring": recurring,
                "tax_behavior": "unspecified",
                "type": "recurring" if recurring else "one_time",
                "unit_amount": amount,
                "unit_amount_decimal": str(amount),
            },
        )

    def price_retrieve(self, acct, params, obj_id):
        return self._get(acct, obj_id, "price")

    def price_update(self, acct, params, obj_id):
        price = self._get(acct, obj_id, "price")
        if "active" in params:
            price["active"] = _bool(params["active"])
        if "metadata" in params:
            price["metadata"].update(params["metadata"] or {})
        return price

    # -- customers -------------------------------------------------------------------------
    def customer_create(self, acct, params):
        customer = self._store(
            acct,
            {
                "id": _new_id("cus"),
                "object": "customer",
                "balance": 0,
                "created": self.now(),
                "currency": None,
                "email": params.get("email"),
                "invoice_settings": {"default_payment_method": None},
                "livemode": False,
                "metadata": params.get("metadata") or {},
                "name": params.get("name"),
            },
        )
        self._event(acct, "customer.created", customer)
        return customer

    def customer_retrieve(self, acct, params, obj_id):
        return self._get(acct, obj_id, "customer")

    # -- checkout ----------------------------------------------------------------------------
    def checkout_create(self, acct, params):
        mode = params.get("mode")
        if not mode:
            raise _missing("mode")
        if mode not in ("payment", "subscription"):
            raise StripeError(400, f"Invalid mode: {mode}", param="mode")
        if not params.get("success_url"):
            raise _missing("success_url")
        items = params.get("line_items") or []
        if not items:
            raise _missing("line_items")
        prices = []
        for i, item in enumerate(items):
            if not item.get("price"):
                raise _missing(f"line_items[{i}][price]")
            price = self._get(acct, item["price"], "price", param=f"line_items[{i}][price]")
            if not price["active"]:
                raise StripeError(
                    400,
                    f"The price `{price['id']}` is not active.",
                    param=f"line_items[{i}][price]",
                )
            prices.append((price, int(item.get("quantity") or 1)))
        recurring = [p for p, _ in prices if p["type"] == "recurring"]
        if mode == "subscription" and not recurring:
            raise StripeError(
                400,
                "You must provide at least one recurring price in `subscription` mode when "
                "using prices.",
                param="line_items",
            )
        if mode == "payment" and recurring:
            raise StripeError(
                400,
                "You specified `payment` mode but passed a recurring price. Either switch to "
                "`subscription` mode or use only one-time prices.",
                param="line_items",
            )
        if len({p["currency"] for p, _ in prices}) > 1:
            raise StripeError(400, "All prices must be in the same currency.", param="line_items")
        customer = params.get("customer")
        if customer:
            self._get(acct, customer, "customer", param="customer")
        session_id = _new_id("cs_test")
        return self._store(
            acct,
            {
                "id": session_id,
                "object": "checkout.session",
                "amount_subtotal": sum(p["unit_amount"] * q for p, q in prices),
                "amount_total": sum(p["unit_amount"] * q for p, q in prices),
                "cancel_url": params.get("cancel_url"),
                "client_reference_id": params.get("client_reference_id"),
                "created": self.now(),
                "currency": prices[0][0]["currency"],
                "customer": customer,
                "customer_email": params.get("customer_email"),
                "expires_at": self.now() + 86400,
                "livemode": False,
                "metadata": params.get("metadata") or {},
                "mode": mode,
                "payment_intent": None,
                "payment_status": "unpaid",
                "status": "open",
                "subscription": None,
                "success_url": params["success_url"],
                "url": f"https://checkout.stripe.com/c/pay/{session_id}",
                # Not part of the object Stripe returns; kept to complete the session.
                "_line_items": [[p["id"], q] for p, q in prices],
                "_subscription_data": params.get("subscription_data") or {},
            },
        )

    def checkout_retrieve(self, acct, params, obj_id):
        return self._get(acct, obj_id, "checkout.session")

    # -- subscriptions ---------------------------------------------------------------------
    def _period_end(self, start: int, price: dict) -> int:
        rec = price["recurring"]
        return start + INTERVAL_SECONDS[rec["interval"]] * rec["interval_count"]

    def subscription_retrieve(self, acct, params, obj_id):
        return self._get(acct, obj_id, "subscription")

    def subscription_update(self, acct, params, obj_id):
        sub = self._get(acct, obj_id, "subscription")
        if sub["status"] in ("canceled", "incomplete_expired"):
            raise StripeError(
                400,
                "A canceled subscription can only update its cancellation_details and metadata.",
                code="resource_missing",
            )
        before = json.loads(json.dumps(sub))
        if "cancel_at_period_end" in params:
            sub["cancel_at_period_end"] = _bool(params["cancel_at_period_end"])
            sub["cancel_at"] = (
                sub["items"]["data"][0]["current_period_end"]
                if sub["cancel_at_period_end"]
                else None
            )
        if "cancel_at" in params:
            value = params["cancel_at"]
            sub["cancel_at"] = int(value) if value else None
            sub["cancel_at_period_end"] = False
        if "pause_collection" in params:
            pause = params["pause_collection"]
            if pause in ("", None):
                sub["pause_collection"] = None
            else:
                if pause.get("behavior") not in ("void", "keep_as_draft", "mark_uncollectible"):
                    raise _missing("pause_collection[behavior]")
                sub["pause_collection"] = {
                    "behavior": pause["behavior"],
                    "resumes_at": int(pause["resumes_at"]) if pause.get("resumes_at") else None,
                }
        if "metadata" in params:
            sub["metadata"].update(params["metadata"] or {})
        invoice = None
        if "items" in params:
            changes = params["items"]
            change = changes[0] if changes else {}
            item = sub["items"]["data"][0]
            if change.get("id") and change["id"] != item["id"]:
                raise StripeError(
                    404, f"No such subscription item: '{change['id']}'", param="items[0][id]"
                )
            if not change.get("price"):
                raise _missing("items[0][price]")
            new_price = self._get(acct, change["price"], "price", param="items[0][price]")
            if new_price["type"] != "recurring":
                raise StripeError(400, "The price must be recurring.", param="items[0][price]")
            if new_price["currency"] != sub["currency"]:
                raise StripeError(400, "Currency mismatch.", param="items[0][price]")
            old_price = item["price"]
            behavior = params.get("proration_behavior", "create_prorations")
            if behavior not in ("create_prorations", "always_invoice", "none"):
                raise StripeError(400, "Invalid proration_behavior", param="proration_behavior")
            item["price"] = new_price
            if behavior != "none" and sub["status"] in ("active", "past_due"):
                invoice = self._prorate(acct, sub, old_price, new_price, behavior)
        sub["_version"] += 1
        previous = {k: before[k] for k in before if before[k] != sub[k] and k != "_version"}
        self._event(acct, "customer.subscription.updated", sub, previous)
        if invoice is not None:
            sub["latest_invoice"] = invoice["id"]
        return sub

    def _prorate(self, acct, sub, old_price, new_price, behavior) -> dict | None:
        """Credit the unused time on the old price, charge it on the new one (Stripe's
        proration, by the second, rounded to the minor unit)."""
        item = sub["items"]["data"][0]
        start, end = item["current_period_start"], item["current_period_end"]
        remaining = max(0, end - self.now())
        total = max(1, end - start)
        credit = -round(old_price["unit_amount"] * remaining / total)
        charge = round(new_price["unit_amount"] * remaining / total)
        lines = [
            self._line(credit, f"Unused time on {old_price['id']}", old_price, start, end, True),
            self._line(charge, f"Remaining time on {new_price['id']}", new_price, start, end, True),
        ]
        if behavior == "create_prorations":
            sub.setdefault("_pending_prorations", []).extend(lines)
            return None
        return self._invoice(acct, sub, lines, "subscription_update", pay=True)

    def _line(self, amount, description, price, start, end, proration=False) -> dict:
        return {
            "id": _new_id("il"),
            "object": "line_item",
            "amount": amount,
            "currency": price["currency"],
            "description": description,
            "parent": {
                "type": "subscription_item_details",
                "subscription_item_details": {"proration": proration},
            },
            "period": {"start": start, "end": end},
            "pricing": {"price_details": {"price": price["id"], "product": price["product"]}},
            "quantity": 1,
        }

    def subscription_cancel(self, acct, params, obj_id):
        sub = self._get(acct, obj_id, "subscription")
        if sub["status"] == "canceled":
            raise StripeError(404, f"No such subscription: '{obj_id}'", code="resource_missing")
        self._end(acct, sub)
        return sub

    def _end(self, acct, sub) -> None:
        sub["status"] = "canceled"
        sub["canceled_at"] = sub["ended_at"] = self.now()
        sub["_version"] += 1
        self._event(acct, "customer.subscription.deleted", sub)

    # -- invoices ----------------------------------------------------------------------------
    def _invoice(self, acct, sub, lines, reason, *, pay: bool) -> dict:
        # The customer's pending invoice items ride on their next subscription invoice.
        lines = lines + self._take_pending(acct, sub["customer"], sub["currency"])
        total = sum(line["amount"] for line in lines)
        item = sub["items"]["data"][0]
        invoice_id = _new_id("in")
        invoice = self._store(
            acct,
            {
                "id": invoice_id,
                "object": "invoice",
                "amount_due": max(total, 0),
                "amount_paid": 0,
                "amount_remaining": max(total, 0),
                "attempt_count": 0,
                "attempted": False,
                "billing_reason": reason,
                "collection_method": "charge_automatically",
                "created": self.now(),
                "currency": sub["currency"],
                "customer": sub["customer"],
                "hosted_invoice_url": f"https://invoice.stripe.com/i/{acct.id}/{invoice_id}",
                "invoice_pdf": f"https://pay.stripe.com/invoice/{acct.id}/{invoice_id}/pdf",
                "lines": {
                    "object": "list",
                    "data": lines,
                    "has_more": False,
                    "url": f"/v1/invoices/{invoice_id}/lines",
                },
                "livemode": False,
                "next_payment_attempt": None,
                "number": f"{acct.id[-6:].upper()}-{len(acct.objects):04d}",
                "parent": {
                    "type": "subscription_details",
                    "subscription_details": {
                        "metadata": dict(sub["metadata"]),
                        "subscription": sub["id"],
                    },
                },
                "period_start": item["current_period_start"],
                "period_end": item["current_period_end"],
                "status": "open",
                "status_transitions": {"finalized_at": self.now(), "paid_at": None},
                "subtotal": total,
                "total": total,
            },
        )
        for line in lines:
            self._attach(acct, line, invoice_id)
        self._event(acct, "invoice.finalized", invoice)
        if total < 0:
            # A credit goes to the customer's balance, as Stripe does.
            customer = self._get(acct, sub["customer"], "customer")
            customer["balance"] += total
            invoice["amount_due"] = invoice["amount_remaining"] = 0
            pay = True
        self._attempt(acct, sub, invoice, pay=pay)
        sub["latest_invoice"] = invoice["id"]
        return invoice

    def _attempt(self, acct, sub, invoice, *, pay: bool) -> None:
        if invoice["customer"] in acct.failing_customers and invoice["amount_due"] > 0:
            pay = False
        invoice["attempted"] = True
        if invoice["amount_due"] > 0:
            invoice["attempt_count"] += 1
        if pay:
            invoice["status"] = "paid"
            invoice["amount_paid"] = invoice["amount_due"]
            invoice["amount_remaining"] = 0
            invoice["next_payment_attempt"] = None
            invoice["status_transitions"]["paid_at"] = self.now()
            self._event(acct, "invoice.paid", invoice)
            self._event(acct, "invoice.payment_succeeded", invoice)
        else:
            invoice["next_payment_attempt"] = self.now() + 3 * 86400
            self._event(acct, "invoice.payment_failed", invoice)

    def invoice_list(self, acct, params):
        found = [
            o
            for o in acct.objects.values()
            if o["object"] == "invoice"
            and (not params.get("customer") or o["customer"] == params["customer"])
            and (
                not params.get("subscription")
                or (o["parent"] or {}).get("subscription_details", {}).get("subscription")
                == params["subscription"]
            )
            and (not params.get("status") or o["status"] == params["status"])
        ]
        if params.get("customer") and not acct.objects.get(params["customer"]):
            raise StripeError(404, f"No such customer: '{params['customer']}'", param="customer")
        return self._page(found, params, "created", "/v1/invoices")

    def _page(self, found: list[dict], params: dict, newest: str, url: str) -> dict:
        """A list object: newest first by `newest`, `limit` (default 10) long."""
        found.sort(key=lambda o: o[newest], reverse=True)
        limit = _int(params, "limit", minimum=1) or 10
        return {"object": "list", "data": found[:limit], "has_more": len(found) > limit, "url": url}

    def invoice_retrieve(self, acct, params, obj_id):
        return self._get(acct, obj_id, "invoice")

    # -- invoice items, one-off invoices, credit notes --------------------------------------
    def invoiceitem_create(self, acct, params):
        if not params.get("customer"):
            raise _missing("customer")
        customer = self._get(acct, params["customer"], "customer", param="customer")
        amount = _int(params, "amount", required=True, minimum=-99999999)
        currency = (params.get("currency") or "").lower()
        if not currency:
            raise _missing("currency")
        if currency not in CURRENCIES:
            raise StripeError(400, f"Invalid currency: {currency}.", param="currency")
        invoice = None
        if params.get("invoice"):
            invoice = self._get(acct, params["invoice"], "invoice", param="invoice")
            if invoice["status"] != "draft":
                raise StripeError(
                    400,
                    "You can only add invoice items to draft invoices.",
                    param="invoice",
                    code="invoice_not_editable",
                )
            if invoice["customer"] != customer["id"]:
                raise StripeError(400, "The invoice belongs to another customer.", param="invoice")
        item = self._store(
            acct,
            {
                "id": _new_id("ii"),
                "object": "invoiceitem",
                "amount": amount,
                "currency": currency,
                "customer": customer["id"],
                "date": self.now(),
                "description": params.get("description"),
                "discountable": True,
                "invoice": None,
                "livemode": False,
                "metadata": params.get("metadata") or {},
                "period": {"start": self.now(), "end": self.now()},
                "proration": False,
                "quantity": 1,
            },
        )
        acct.customer_items.setdefault(customer["id"], []).append(item["id"])
        if invoice is not None:
            line = self._item_line(item)
            invoice["lines"]["data"].append(line)
            self._attach(acct, line, invoice["id"])
            self._total(invoice)
        return item

    def invoiceitem_list(self, acct, params):
        found = [
            o
            for o in acct.objects.values()
            if o["object"] == "invoiceitem"
            and (not params.get("customer") or o["customer"] == params["customer"])
            and (not params.get("invoice") or o["invoice"] == params["invoice"])
            and (not _bool(params.get("pending", "false")) or o["invoice"] is None)
        ]
        return self._page(found, params, "date", "/v1/invoiceitems")

    def invoiceitem_retrieve(self, acct, params, obj_id):
        return self._get(acct, obj_id, "invoiceitem")

    def invoiceitem_delete(self, acct, params, obj_id):
        item = self._get(acct, obj_id, "invoiceitem")
        if item["invoice"]:
            invoice = acct.objects[item["invoice"]]
            if invoice["status"] != "draft":
                raise StripeError(
                    400,
                    "Invoice items on a finalized invoice cannot be deleted.",
                    code="invoice_not_editable",
                )
            invoice["lines"]["data"] = [
                line
                for line in invoice["lines"]["data"]
                if line["parent"].get("invoice_item_details", {}).get("invoice_item") != obj_id
            ]
            self._total(invoice)
        del acct.objects[obj_id]
        return {"id": obj_id, "object": "invoiceitem", "deleted": True}

    def _item_line(self, item) -> dict:
        return {
            "id": _new_id("il"),
            "object": "line_item",
            "amount": item["amount"],
            "currency": item["currency"],
            "description": item["description"],
            "metadata": dict(item["metadata"]),
            "parent": {
                "type": "invoice_item_details",
                "invoice_item_details": {
                    "invoice_item": item["id"],
                    "proration": False,
                    "subscription": None,
                },
            },
            "period": dict(item["period"]),
            "pricing": None,
            "quantity": 1,
        }

    def _take_pending(self, acct, customer: str, currency: str) -> list[dict]:
        items = [acct.objects.get(i) for i in acct.customer_items.get(customer, [])]
        return [
            self._item_line(o)
            for o in items
            if o is not None and o["invoice"] is None and o["currency"] == currency
        ]

    def _attach(self, acct, line, invoice_id: str) -> None:
        details = line["parent"].get("invoice_item_details")
        if details:
            acct.objects[details["invoice_item"]]["invoice"] = invoice_id

    def _total(self, invoice) -> None:
        total = sum(line["amount"] for line in invoice["lines"]["data"])
        invoice.update(subtotal=total, total=total, amount_due=max(total, 0))
        invoice["amount_remaining"] = max(total, 0)

    def invoice_create(self, acct, params):
        if not params.get("customer"):
            raise _missing("customer")
        customer = self._get(acct, params["customer"], "customer", param="customer")
        method = params.get("collection_method", "charge_automatically")
        if method not in ("charge_automatically", "send_invoice"):
            raise StripeError(400, "Invalid collection_method", param="collection_method")
        due_days = _int(params, "days_until_due")
        if method == "send_invoice" and due_days is None and not params.get("due_date"):
            raise StripeError(
                400,
                "Invoices with `send_invoice` collection need `days_until_due` or `due_date`.",
                param="days_until_due",
            )
        if method == "send_invoice" and not customer["email"]:
            raise StripeError(
                400,
                "Missing email. In order to create invoices that are sent to the customer, "
                "the customer must have a valid email.",
                param="customer",
                code="customer_email_missing",
            )
        invoice_id = _new_id("in")
        invoice = self._store(
            acct,
            {
                "id": invoice_id,
                "object": "invoice",
                "amount_due": 0,
                "amount_paid": 0,
                "amount_remaining": 0,
                "attempt_count": 0,
                "attempted": False,
                "auto_advance": _bool(params.get("auto_advance", "true")),
                "billing_reason": "manual",
                "collection_method": method,
                "created": self.now(),
                "currency": (params.get("currency") or "eur").lower(),
                "customer": customer["id"],
                "description": params.get("description"),
                "due_date": self.now() + 86400 * (due_days or 0) if due_days else None,
                "hosted_invoice_url": None,
                "invoice_pdf": None,
                "lines": {
                    "object": "list",
                    "data": [],
                    "has_more": False,
                    "url": f"/v1/invoices/{invoice_id}/lines",
                },
                "livemode": False,
                "metadata": params.get("metadata") or {},
                "next_payment_attempt": None,
                "number": None,
                "parent": None,
                "period_start": self.now(),
                "period_end": self.now(),
                "status": "draft",
                "status_transitions": {"finalized_at": None, "paid_at": None},
                "subtotal": 0,
                "total": 0,
            },
        )
        if params.get("pending_invoice_items_behavior", "exclude") == "include":
            lines = self._take_pending(acct, customer["id"], invoice["currency"])
            invoice["lines"]["data"].extend(lines)
            for line in lines:
                self._attach(acct, line, invoice_id)
            self._total(invoice)
        self._event(acct, "invoice.created", invoice)
        return invoice

    def invoice_finalize(self, acct, params, obj_id):
        invoice = self._get(acct, obj_id, "invoice")
        if invoice["status"] != "draft":
            raise StripeError(
                400, "This invoice is already finalized.", code="invoice_not_editable"
            )
        if "auto_advance" in params:
            invoice["auto_advance"] = _bool(params["auto_advance"])
        if invoice["lines"]["data"]:
            invoice["currency"] = invoice["lines"]["data"][0]["currency"]
        invoice["status"] = "open"
        invoice["number"] = f"{acct.id[-6:].upper()}-{len(acct.objects):04d}"
        invoice["hosted_invoice_url"] = f"https://invoice.stripe.com/i/{acct.id}/{obj_id}"
        invoice["invoice_pdf"] = f"https://pay.stripe.com/invoice/{acct.id}/{obj_id}/pdf"
        invoice["status_transitions"]["finalized_at"] = self.now()
        self._event(acct, "invoice.finalized", invoice)
        if invoice["amount_due"] == 0:
            self._attempt(acct, None, invoice, pay=True)
        elif invoice["collection_method"] == "charge_automatically":
            self._attempt(acct, None, invoice, pay=True)
        elif invoice["auto_advance"]:
            self._event(acct, "invoice.sent", invoice)
        return invoice

    def invoice_delete(self, acct, params, obj_id):
        invoice = self._get(acct, obj_id, "invoice")
        if invoice["status"] != "draft":
            raise StripeError(
                400, "You can only delete draft invoices.", code="invoice_not_editable"
            )
        for line in invoice["lines"]["data"]:
            details = line["parent"].get("invoice_item_details")
            if details:
                acct.objects[details["invoice_item"]]["invoice"] = None
        del acct.objects[obj_id]
        return {"id": obj_id, "object": "invoice", "deleted": True}

    def credit_note_create(self, acct, params):
        if not params.get("invoice"):
            raise _missing("invoice")
        invoice = self._get(acct, params["invoice"], "invoice", param="invoice")
        if invoice["status"] not in ("open", "paid"):
            raise StripeError(
                400,
                "You can only create credit notes on open or paid invoices, "
                f"not {invoice['status']}.",
                param="invoice",
                code="invoice_not_editable",
            )
        amount = _int(params, "amount", required=True, minimum=1)
        credited = sum(
            o["amount"]
            for o in acct.objects.values()
            if o["object"] == "credit_note" and o["invoice"] == invoice["id"]
        )
        if amount + credited > invoice["total"]:
            raise StripeError(
                400,
                "The sum of credit amounts must not exceed the invoice total.",
                param="amount",
            )
        outside = sum(
            _int(params, name) or 0
            for name in ("credit_amount", "refund_amount", "out_of_band_amount")
        )
        if invoice["status"] == "paid" and outside != amount:
            raise StripeError(
                400,
                "For paid invoices the sum of credit_amount, refund_amount and "
                "out_of_band_amount must equal the credit note amount.",
                param="amount",
            )
        if invoice["status"] == "open" and outside:
            raise StripeError(
                400,
                "Credit notes on open invoices reduce the amount due; do not pass "
                "credit_amount, refund_amount or out_of_band_amount.",
                param="credit_amount",
            )
        if invoice["status"] == "open":
            invoice["amount_due"] -= amount
            invoice["amount_remaining"] = invoice["amount_due"]
            if invoice["amount_due"] == 0:
                self._attempt(acct, None, invoice, pay=True)
        else:
            customer = self._get(acct, invoice["customer"], "customer")
            customer["balance"] -= _int(params, "credit_amount") or 0
        note = self._store(
            acct,
            {
                "id": _new_id("cn"),
                "object": "credit_note",
                "amount": amount,
                "created": self.now(),
                "currency": invoice["currency"],
                "customer": invoice["customer"],
                "invoice": invoice["id"],
                "livemode": False,
                "memo": params.get("memo"),
                "metadata": params.get("metadata") or {},
                "reason": params.get("reason"),
                "status": "issued",
                "type": "pre_payment" if invoice["status"] == "open" else "post_payment",
            },
        )
        self._event(acct, "credit_note.created", note)
        return note

    def portal_create(self, acct, params):
        if not params.get("customer"):
            raise _missing("customer")
        self._get(acct, params["customer"], "customer", param="customer")
        session_id = _new_id("bps")
        return self._store(
            acct,
            {
                "id": session_id,
                "object": "billing_portal.session",
                "created": self.now(),
                "customer": params["customer"],
                "livemode": False,
                "return_url": params.get("return_url"),
                "url": f"https://billing.stripe.com/p/session/{session_id}",
            },
        )

    def event_retrieve(self, acct, params, obj_id):
        return self._get(acct, obj_id, "event")

    # -- simulations: what Stripe does by itself -------------------------------------------
    def _since(self, acct: Account, mark: int) -> list[dict]:
        return list(acct.events[mark:])

    def complete_checkout(self, key: str, session_id: str, *, pay: bool = True) -> list[dict]:
        """The customer paid on Checkout's page: customer, subscription, first invoice."""
        with self.lock:
            acct = self.simulated(key)
            mark = len(acct.events)
            session = self._get(acct, session_id, "checkout.session")
            if session["status"] != "open":
                raise StripeError(400, "This Checkout Session is no longer active.")
            if not session["customer"]:
                session["customer"] = self.customer_create(
                    acct, {"email": session["customer_email"]}
                )["id"]
            prices = [(acct.objects[pid], q) for pid, q in session["_line_items"]]
            if session["mode"] == "subscription":
                sub = self._subscribe(acct, session, prices, pay=pay)
                session["subscription"] = sub["id"]
            else:
                session["payment_intent"] = _new_id("pi")
            session["status"] = "complete"
            session["payment_status"] = "paid" if session["amount_total"] else "no_payment_required"
            self._event(acct, "checkout.session.completed", session)
            return self._since(acct, mark)

    def _subscribe(self, acct, session, prices, *, pay) -> dict:
        recurring = next(p for p, _ in prices if p["type"] == "recurring")
        data = session["_subscription_data"]
        now = self.now()
        trial_days = int(data.get("trial_period_days") or 0)
        end = now + trial_days * 86400 if trial_days else self._period_end(now, recurring)
        sub_id = _new_id("sub")
        sub = self._store(
            acct,
            {
                "id": sub_id,
                "object": "subscription",
                "billing_cycle_anchor": end if trial_days else now,
                "cancel_at": None,
                "cancel_at_period_end": False,
                "canceled_at": None,
                "collection_method": "charge_automatically",
                "created": now,
                "currency": recurring["currency"],
                "customer": session["customer"],
                "default_payment_method": "pm_" + secrets.token_hex(8),
                "ended_at": None,
                "items": {
                    "object": "list",
                    "data": [
                        {
                            "id": _new_id("si"),
                            "object": "subscription_item",
                            "created": now,
                            "current_period_start": now,
                            "current_period_end": end,
                            "price": recurring,
                            "quantity": 1,
                            "subscription": sub_id,
                        }
                    ],
                    "has_more": False,
                    "url": f"/v1/subscription_items?subscription={sub_id}",
                },
                "latest_invoice": None,
                "livemode": False,
                "metadata": dict(data.get("metadata") or {}),
                "pause_collection": None,
                "start_date": now,
                "status": "trialing" if trial_days else "incomplete",
                "trial_end": end if trial_days else None,
                "trial_start": now if trial_days else None,
                "_version": 1,
            },
        )
        self._event(acct, "customer.subscription.created", sub)
        lines = [
            self._line(
                0 if trial_days and p is recurring else p["unit_amount"] * q,
                p["id"],
                p,
                now,
                end,
            )
            for p, q in prices
        ]
        invoice = self._invoice(acct, sub, lines, "subscription_create", pay=pay)
        if not trial_days:
            sub["status"] = "active" if invoice["status"] == "paid" else "incomplete"
            sub["_version"] += 1
            self._event(acct, "customer.subscription.updated", sub, {"status": "incomplete"})
        return sub

    def renew(self, key: str, sub_id: str, *, pay: bool = True) -> list[dict]:
        """The period ended: move it on and invoice the next one (paid or failed)."""
        with self.lock:
            acct = self.simulated(key)
            mark = len(acct.events)
            sub = self._get(acct, sub_id, "subscription")
            item = sub["items"]["data"][0]
            before = {"status": sub["status"]}
            if sub["cancel_at"] and sub["cancel_at"] <= item["current_period_end"]:
                self._end(acct, sub)
                return self._since(acct, mark)
            start = item["current_period_end"]
            item["current_period_start"] = start
            item["current_period_end"] = self._period_end(start, item["price"])
            self.clock = max(self.now(), start) if self.clock is not None else None
            lines = [
                self._line(
                    item["price"]["unit_amount"],
                    item["price"]["id"],
                    item["price"],
                    start,
                    item["current_period_end"],
                )
            ]
            lines += sub.pop("_pending_prorations", [])
            if sub["pause_collection"] and sub["pause_collection"]["behavior"] == "void":
                invoice = self._invoice(acct, sub, lines, "subscription_cycle", pay=False)
                invoice["status"] = "void"
                self._event(acct, "invoice.voided", invoice)
            else:
                invoice = self._invoice(acct, sub, lines, "subscription_cycle", pay=pay)
                sub["status"] = "active" if invoice["status"] == "paid" else "past_due"
            sub["_version"] += 1
            self._event(acct, "customer.subscription.updated", sub, before)
            return self._since(acct, mark)

    def retry_invoice(self, key: str, invoice_id: str, *, pay: bool = True) -> list[dict]:
        """Smart retries (or the customer fixing the card on the hosted invoice page)."""
        with self.lock:
            acct = self.simulated(key)
            mark = len(acct.events)
            invoice = self._get(acct, invoice_id, "invoice")
            if invoice["status"] != "open":
                raise StripeError(400, "Invoice is already paid.", code="invoice_not_open")
            if pay:
                acct.failing_customers.discard(invoice["customer"])
            parent = (invoice["parent"] or {}).get("subscription_details") or {}
            sub = acct.objects.get(parent.get("subscription") or "")
            self._attempt(acct, sub, invoice, pay=pay)
            if sub and invoice["status"] == "paid" and sub["status"] in ("past_due", "unpaid"):
                before = {"status": sub["status"]}
                sub["status"] = "active"
                sub["_version"] += 1
                self._event(acct, "customer.subscription.updated", sub, before)
            return self._since(acct, mark)

    def mark_unpaid(self, key: str, sub_id: str) -> list[dict]:
        """All retries failed and the account's setting leaves the subscription unpaid."""
        with self.lock:
            acct = self.simulated(key)
            mark = len(acct.events)
            sub = self._get(acct, sub_id, "subscription")
            before = {"status": sub["status"]}
            sub["status"] = "unpaid"
            sub["_version"] += 1
            self._event(acct, "customer.subscription.updated", sub, before)
            return self._since(acct, mark)

    def complete_onboarding(self, account_id: str) -> list[dict]:
        """The owner finished Stripe's onboarding form: details submitted, charges and
        payouts enabled; returns the `account.updated` event (with its `account`)."""
        with self.lock:
            acct = self.connected[account_id]
            mark = len(acct.events)
            flags = ("charges_enabled", "details_submitted", "payouts_enabled")
            before = {k: acct.profile[k] for k in flags}
            acct.profile.update(charges_enabled=True, details_submitted=True, payouts_enabled=True)
            self._event(acct, "account.updated", acct.profile, before)
            return self._since(acct, mark)

    def onboard_link(self, link_id: str) -> str:
        """Following an onboarding link (a browser, in `make run`): onboarding completes
        at once; returns the URL Stripe sends the owner back to."""
        with self.lock:
            link = self.account_links.get(link_id)
            if link is None:
                raise StripeError(404, "This link is no longer valid.")
            if link["expires_at"] < self.now():
                return link["refresh_url"]
            self.complete_onboarding(link["account"])
            del self.account_links[link_id]
            self.changed()
            return link["return_url"]

    def fail_card(self, key: str, customer_id: str) -> None:
        with self.lock:
            self.simulated(key).failing_customers.add(customer_id)


class _Handler(BaseHTTPRequestHandler):
    standin: StripeStandin
    protocol_version = "HTTP/1.1"  # keep-alive, as the SDK's requests session expects
    # Headers and body go out in two writes: without this, Nagle + delayed ACK add ~40 ms
    # to every call (measured: 16 -> see docs/billing.md events/s in the benchmark).
    disable_nagle_algorithm = True

    def log_message(self, *args):  # quiet
        pass

    def _serve(self, method: str) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        params = decode_form(url.query if method in ("GET", "DELETE") else body)
        if method == "DELETE" and body:
            params.update(decode_form(body))
        auth = self.headers.get("Authorization", "")
        key = auth[7:] if auth.startswith("Bearer ") else None
        if method == "GET" and url.path.startswith("/connect/onboarding/"):
            # Stripe's hosted onboarding page, completed on sight (a browser follows it).
            try:
                location = self.standin.onboard_link(url.path.rsplit("/", 1)[1])
            except StripeError as exc:
                self._answer(exc.status, exc.body())
                return
            self.send_response(302)
            self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if method == "POST" and url.path.startswith("/_standin/"):
            # The stand-in's own simulations (not Stripe's API): see the module docstring.
            try:
                args = json.loads(body or "{}")
                payload = self.standin.simulate(url.path.rsplit("/", 1)[1], args)
                self._answer(200, payload)
            except StripeError as exc:
                self._answer(exc.status, exc.body())
            except ValueError:
                self._answer(400, StripeError(400, "The body is not JSON.", code=None).body())
            return
        if self.standin.delay:
            time.sleep(self.standin.delay)
        try:
            status, payload = (
                200,
                self.standin.handle(
                    method,
                    url.path,
                    key,
                    params,
                    self.headers.get("Idempotency-Key"),
                    self.headers.get("Stripe-Account"),
                ),
            )
        except StripeError as exc:
            status, payload = exc.status, exc.body()
        self._answer(status, payload)

    def _answer(self, status: int, payload: dict) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Request-Id", "req_" + secrets.token_hex(7))
        self.send_header("Stripe-Version", API_VERSION)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self._serve("GET")

    def do_POST(self):
        self._serve("POST")

    def do_DELETE(self):
        self._serve("DELETE")


def public(obj: dict) -> dict:
    """An object as the API shows it (without the stand-in's private keys)."""
    if isinstance(obj, dict):
        return {k: public(v) for k, v in obj.items() if not k.startswith("_")}
    if isinstance(obj, list):
        return [public(v) for v in obj]
    return obj


def simulate(url: str, name: str, **args) -> list[dict]:
    """Run a simulation (or `clock`) on a stand-in at `url`, from another process;
    returns the events Stripe would send."""
    request = urllib.request.Request(  # noqa: S310 - the stand-in's loopback address
        f"{url}/_standin/{name}",
        data=json.dumps(args).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - as above
            return json.loads(answer.read())["events"]
    except urllib.error.HTTPError as exc:
        message = json.loads(exc.read() or b"{}").get("error", {}).get("message", str(exc))
        raise RuntimeError(f"stand-in simulation {name} refused: {message}") from exc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=12111)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before each answer")
    parser.add_argument("--state", type=Path, help="keep accounts and objects in this file")
    args = parser.parse_args()
    port = args.port
    standin = StripeStandin()
    standin.delay = args.delay
    if args.state:
        standin.keep_state(args.state)
    stopped = threading.Event()

    def stop(*_) -> None:
        stopped.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"Stripe stand-in on {standin.start(port)}", flush=True)
    while not stopped.wait(1):
        pass
    standin.stop()
    standin.save()


if __name__ == "__main__":
    main()
