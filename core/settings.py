"""The one configuration object of corpgraph.

Neo4j connection settings use the names every Neo4j tool knows (``NEO4J_URI``,
``NEO4J_USER``, ``NEO4J_PASSWORD``, ``NEO4J_DATABASE``); everything else uses the
``CORPGRAPH_`` prefix. Nothing else in the code base reads the environment.

Examples
--------
>>> s = Settings(_env_file=None, local_neo4j_port=7999, neo4j_uri=None)
>>> s.local_neo4j_port, s.neo4j_uri is None
(7999, True)
"""

from __future__ import annotations

import base64
import logging
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from .scorecards import SCORECARD_LINES

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]


def _default_home() -> Path:
    return Path.home() / ".local" / "share" / "corpgraph"


class Settings(BaseSettings):
    """All corpgraph settings.

    Attributes are documented in the README's configuration table; the field
    descriptions below are the source of that table.
    """

    model_config = SettingsConfigDict(
        env_prefix="CORPGRAPH_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
    )

    # --- Neo4j connection (standard Neo4j names, no prefix) -------------------------
    neo4j_uri: str | None = Field(
        default=None,
        validation_alias=AliasChoices("NEO4J_URI", "neo4j_uri"),
        description="Bolt URI of an external Neo4j. Unset: use the embedded local server.",
    )
    neo4j_user: str = Field(
        default="neo4j",
        validation_alias=AliasChoices("NEO4J_USER", "neo4j_user"),
        description="Neo4j user name.",
    )
    neo4j_password: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("NEO4J_PASSWORD", "neo4j_password"),
        description=(
            "Neo4j password. Unset with the local server: a random password is generated "
            "once and kept in CORPGRAPH_HOME/local-neo4j.secret (mode 600)."
        ),
    )
    neo4j_database: str = Field(
        default="neo4j",
        validation_alias=AliasChoices("NEO4J_DATABASE", "neo4j_database"),
        description="Neo4j database name.",
    )

    # --- corpgraph state and the embedded local server ---------------------------------
    home: Path = Field(
        default_factory=_default_home,
        description="Folder for local state: the embedded server's data, pid file and logs.",
    )
    local_neo4j_port: int = Field(
        default=7687, ge=1024, le=65535, description="Bolt port of the embedded local server."
    )
    local_neo4j_data_dir: Path | None = Field(
        default=None, description="Data folder of the embedded server. Default: HOME/neo4j."
    )
    local_neo4j_heap: str = Field(
        default="2g", pattern=r"^\d+[mMgG]$", description="JVM heap (-Xmx) of the embedded server."
    )
    local_neo4j_pagecache: str = Field(
        default="512m", pattern=r"^\d+[mMgG]$", description="Page cache of the embedded server."
    )
    # The importer takes 90% of the free memory by default: too greedy on a shared box,
    # and 1 GiB writes the medium bank's store without spilling (bench/load.py).
    bulk_import_max_off_heap: str = Field(
        default="1g",
        pattern=r"^\d+[mMgG]$",
        description="Off-heap memory of `load --bulk`'s neo4j-admin database import.",
    )
    # DuckDB's own default is 80% of the machine's memory, which on one box beside
    # Neo4j's heap and page cache swaps; 4 GiB aggregates the large bank's 20M
    # transactions, spilling to disk past it (bench/large.py).
    flow_ledger_memory: str = Field(
        default="4GB",
        pattern=r"^\d+(MB|GB)$",
        description="Memory limit of the load's DuckDB flow ledger (it spills to disk past it).",
    )
    # While the counterparties are resolved the ledger only waits (the resolution's Python
    # objects and its splink DuckDB take the memory); lowering its limit makes DuckDB spill
    # its staged tables, so the large bank's resolution peaks the ledger's 4 GB lower
    # (bench/resolution_load.py). 512 MB still holds a small bank's tables in memory.
    flow_ledger_memory_resolving: str = Field(
        default="512MB",
        pattern=r"^\d+(MB|GB)$",
        description="Memory limit of the flow ledger while counterparties are resolved.",
    )
    local_neo4j_start_timeout_s: float = Field(
        default=300.0, gt=0, description="How long `neo4j start` waits for Bolt to answer."
    )
    launcher_dir: Path | None = Field(
        default=None,
        description="Maven project of the embedded launcher. Default: graph/embedded.",
    )
    java_home: Path | None = Field(
        default=None,
        validation_alias=AliasChoices("CORPGRAPH_JAVA_HOME", "JAVA_HOME", "java_home"),
        description="JDK (17) that builds and runs the embedded server. Default: PATH.",
    )

    # --- driver behaviour ---------------------------------------------------------------
    neo4j_connection_timeout_s: float = Field(
        default=5.0, gt=0, description="TCP connect timeout of the driver."
    )
    neo4j_max_retry_time_s: float = Field(
        default=15.0, ge=0, description="How long managed transactions retry transient errors."
    )
    compute_concurrent_steps: int = Field(
        default=2,
        ge=1,
        le=8,
        description=(
            "How many compute steps run at once (a step starts when the steps it reads have "
            "published). Two, because a step spends about half its time waiting on Neo4j: "
            "while one waits, another computes, which fills this project's two cores "
            "(`bench/compute.py --concurrency`); 1 runs them one after another."
        ),
    )
    compute_lease_s: float = Field(
        default=3600.0,
        ge=60,
        description=(
            "How long one `compute` holds the store's compute lease without renewing it. "
            "It renews at every step, and the slowest step measured (prospects on the medium "
            "bank under load: about 8 minutes) stays well inside an hour; a compute killed on "
            "another host blocks the next one at most this long (on the same host, a dead "
            "holder's lease is taken over at once)."
        ),
    )
    write_batch_size: int = Field(
        default=10_000, ge=5_000, le=50_000, description="Rows per UNWIND batch in bulk writes."
    )

    # --- input bounds ---------------------------------------------------------------------
    # The longest legitimate field of the contract is a free-text payment purpose or a
    # company name; core banking systems cap such memo fields at 4,000 bytes (Oracle's
    # VARCHAR2 limit), so 10,000 characters never rejects real data, while a field past it
    # (a pasted document, a broken quote that swallowed the rest of the file) is a reject
    # with its reason instead of a value that would bloat the graph and every export.
    max_field_chars: int = Field(
        default=10_000,
        ge=256,
        le=1_000_000,
        description="Longest field a load accepts; a longer one is a `field_too_long` reject.",
    )
    # A CSV reader holds one line in memory. 16 MiB is hundreds of times the longest valid
    # row (14 fields of at most max_field_chars characters, 4 bytes each in UTF-8), so a
    # line past it cannot be a row and the file fails with one clear error naming the
    # line, while a reader's buffer stays small on a shared machine.
    max_csv_line_bytes: int = Field(
        default=16 * 1024 * 1024,
        ge=1024 * 1024,
        le=1024 * 1024 * 1024,
        description="Longest CSV line a load reads; a longer one stops the load with an error.",
    )

    # --- API -----------------------------------------------------------------------------
    api_host: str = Field(default="127.0.0.1", description="Interface `corpgraph serve` binds.")
    api_port: int = Field(default=8000, ge=1, le=65535, description="Port `corpgraph serve` binds.")
    # Fail fast while Neo4j is down: a request holds a worker for at most about this
    # long before its 503, instead of the 15-35 s of connect timeouts and retries.
    api_neo4j_acquisition_timeout_s: float = Field(
        default=1.0,
        gt=0,
        le=60,
        description=(
            "The API's driver waits at most this long for a pooled connection (connecting "
            "included). A healthy Neo4j on the same host or LAN connects in milliseconds, "
            "so 1 s only ever expires when it is down or overloaded."
        ),
    )
    api_neo4j_max_retry_time_s: float = Field(
        default=0.0,
        ge=0,
        le=60,
        description=(
            "How long the API retries transient Neo4j errors. 0: no retry; the client "
            "gets a 503 at once and retries itself, rather than every worker sleeping "
            "through the driver's back-off while Neo4j is down."
        ),
    )
    api_unavailable_recheck_s: float = Field(
        default=1.0,
        gt=0,
        le=60,
        description=(
            "While Neo4j is down, one request per this interval tries it; the others "
            "answer 503 at once without touching the driver (the readiness flag)."
        ),
    )
    api_auth_cache: bool = Field(
        default=True,
        description=(
            "Cache API-key lookups and the branch tree per data and auth version: one "
            "small version read per request instead of the key and the whole branch tree "
            "(4.9 ms on the medium bank). A revocation, a new user or a branch write "
            "changes the auth version, so it takes effect on the next request; off only "
            "to compare."
        ),
    )

    log_level: LogLevel = Field(default="INFO", description="Log level of CLI and API.")

    # --- group risk ------------------------------------------------------------------------
    group_concentration_cny: Decimal = Field(
        default=Decimal("2000000000"),
        gt=0,
        description=(
            "A group whose members' CNY outstanding reaches this is over the concentration "
            "threshold. Default CNY 2bn: a large-exposure limit for a mid-sized bank's capital."
        ),
    )
    joint_control_pct: float = Field(
        default=50.0,
        gt=0,
        le=50,
        description=(
            "Joint control by shares: with no bloc above 50%, two or more unrelated blocs at or "
            "above this share control a company together. Default 50%: a deadlocked 50/50 "
            "venture, the one case where shares alone show that neither side can decide without "
            "the other (IFRS 11 joint control needs unanimous consent); lower it to also treat "
            "large minority blocs (e.g. 40/40/20) as joint control."
        ),
    )

    # --- target tracking ----------------------------------------------------------------
    target_at_risk_probability: float = Field(
        default=0.5,
        gt=0,
        le=1,
        description=(
            "A unit whose chance of reaching a target (actual plus independent pipeline "
            "wins at the measured stage probabilities) is below this raises a "
            "target_at_risk event to its manager. Default 0.5: the unit is then more "
            "likely to miss than to make it, the point where a manager should step in "
            "rather than wait; lower it to hear only about the near-certain misses."
        ),
    )

    # --- suspected related parties -------------------------------------------------------
    related_party_max_companies_per_contact: int = Field(
        default=8,
        ge=2,
        description=(
            "A contact (address, phone, e-mail) shared by more companies than this is an "
            "agent's (a registration agent's address, an accounting firm's phone) and links "
            "nobody. Default 8: the companies one family or one hidden group registers at "
            "one address or phone are a handful, while agents serve dozens of unrelated clients."
        ),
    )

    # --- economic interdependence ---------------------------------------------------------
    interdependence_share: Decimal = Field(
        default=Decimal("0.5"),
        gt=0,
        le=1,
        description=(
            "Share of a customer's gross receipts (or expenditures) coming from one "
            "counterparty that makes it economically dependent on it (Basel LEX10.10). "
            "Default 50%: losing that counterparty takes away most of the business, which "
            "few firms survive without repayment difficulties; 30% (a major counterparty "
            "for events) is ordinary concentration."
        ),
    )
    interdependence_window_months: int = Field(
        default=12,
        ge=3,
        le=36,
        description=(
            "Months of flows (ending at the latest month) the share is measured over. "
            "Default a year: Basel reads receipts and expenditures on an annual basis, and a "
            "year evens out seasonal trade."
        ),
    )
    interdependence_min_months: int = Field(
        default=6,
        ge=1,
        le=36,
        description=(
            "Months of the window in which the share must also hold on its own (and months "
            "with flows needed before a supply link's share is trusted). Default 6, half a "
            "year: one lumpy payment or a quarter's project is not a dependency, but trade "
            "that pauses seasonally still counts."
        ),
    )
    interdependence_currency: str = Field(
        default="CNY",
        pattern=r"^[A-Z]{3}$",
        description=(
            "Currency whose flows and supply amounts the rule reads; others are not converted "
            "(no exchange rates) and are named in the evidence."
        ),
    )

    # --- prospects, influence, cross-sell ------------------------------------------------
    prospect_weight_customers: float = Field(
        default=0.40,
        ge=0,
        description=(
            "Weight of breadth (mean distinct customers per month). Largest: many customers "
            "trading with a company every month is the strongest sign it is worth winning."
        ),
    )
    prospect_weight_months: float = Field(
        default=0.20,
        ge=0,
        description="Weight of the share of months active: steady trade beats one-off payments.",
    )
    prospect_weight_amount: float = Field(
        default=0.10,
        ge=0,
        description=(
            "Weight of the (log-scaled) amount: it matters, but one big partner of one "
            "customer should not outrank a company many customers trade with."
        ),
    )
    prospect_weight_count: float = Field(
        default=0.05, ge=0, description="Weight of the (log-scaled) number of payments."
    )
    prospect_weight_trend: float = Field(
        default=0.05,
        ge=0,
        description="Weight of the monthly trend: growing ties rank a bit higher.",
    )
    prospect_weight_supply: float = Field(
        default=0.10,
        ge=0,
        description="Weight of supply links with customers (a core enterprise counts 3×).",
    )
    prospect_weight_groups: float = Field(
        default=0.05, ge=0, description="Weight of ties to distinct customer groups (MEMBER_OF)."
    )
    prospect_weight_influence: float = Field(
        default=0.05,
        ge=0,
        description="Weight of flow-graph PageRank percentile: a small tie-breaker.",
    )
    prospect_customer_saturation: float = Field(
        default=6.0,
        gt=0,
        description=(
            "Mean distinct customers per month that give full breadth credit; beyond six, "
            "more customers add little to the case for calling."
        ),
    )
    prospect_supply_saturation: float = Field(
        default=3.0, gt=0, description="Supply links with customers that give full supply credit."
    )
    prospect_group_saturation: float = Field(
        default=3.0, gt=0, description="Customer groups that give full group credit."
    )
    prospect_trend_scale: float = Field(
        default=5.0,
        gt=0,
        description=(
            "Trend credit = 0.5 + scale × (monthly slope / mean): a 10%/month rise gives "
            "full credit, a 10%/month fall none."
        ),
    )
    prospect_min_customers: int = Field(
        default=1, ge=1, description="Customers a non-customer must be tied to to be scored."
    )
    map_edge_label_min_cny: Decimal = Field(
        # Ten million yuan: an RM reads a map for the ties that matter to credit; below
        # 千万 the amounts on a 150-node map are clutter (they still show on hover).
        default=Decimal(10_000_000),
        ge=0,
        description="Maps write an amount on an edge from this much (CNY); below, on hover.",
    )
    prospect_currency: str = Field(
        default="CNY",
        pattern=r"^[A-Z]{3}$",
        description="Currency whose amounts score and appear in reasons (others count only).",
    )
    prospect_excluded_statuses: list[str] = Field(
        default=["dissolved", "revoked"],
        description="Company statuses never offered as prospects (no one to call).",
    )
    prospect_blocklist_path: Path | None = Field(
        default=None,
        description=(
            "Text file of company ids or USCCs never offered as prospects (one a line, # "
            "comments): sanctioned, declined or otherwise off-limits companies."
        ),
    )
    prospect_hub_customer_share: float = Field(
        default=0.01,
        gt=0,
        le=1,
        description=(
            "A non-customer paid by (or paying) at least this share of all customers, and "
            "at least CORPGRAPH_PROSPECT_HUB_MIN_CUSTOMERS of them, is a hub (tax bureau, "
            "social security, utilities, payroll agents, logistics and e-commerce "
            "platforms) and is not offered as a prospect: a value-chain prospect trades "
            "with a handful to dozens of customers, infrastructure with a fixed share of "
            "all of them (at 1% of a large bank's customers: thousands of payers)."
        ),
    )
    prospect_hub_min_customers: int = Field(
        default=25,
        ge=1,
        description=(
            "Fewest tied customers that can make a hub, so that in a small customer base "
            "a genuine prospect with a few dozen customers is not mistaken for one."
        ),
    )
    influence_flow_betweenness: bool = Field(
        default=False,
        description=(
            "Also compute exact betweenness on the flow graph. Off by default: it took 26 s "
            "with GDS on the small bank (20k companies) and grows about quadratically; "
            "supply-graph betweenness is always computed."
        ),
    )
    supply_chain_min_size: int = Field(
        default=5,
        ge=2,
        description="Smallest supply community counted as a chain (a pair is not a chain).",
    )
    cross_sell_peers: int = Field(
        default=20,
        ge=1,
        description="Most similar customers whose products are compared (enough for a lift).",
    )
    cross_sell_min_peer_share: float = Field(
        default=0.5,
        gt=0,
        le=1,
        description="A product is recommended when at least this share of the peers holds it.",
    )

    # --- counterparty entity resolution ------------------------------------------------
    resolution_fuzzy: bool = Field(
        default=True,
        description=(
            "Match payment counterparties that no exact evidence (USCC, normalised name) "
            "resolves with the probabilistic model (splink on DuckDB). Off: exact evidence "
            "only, every other name becomes its own company."
        ),
    )
    resolution_auto_merge_probability: float = Field(
        default=0.99,
        gt=0,
        le=1,
        description=(
            "Match probability at or above which two counterparty records merge without "
            "review. 0.99: a merge moves money between companies in every report, so only "
            "pairs with corroborating evidence (a shared account or customer, not a similar "
            "name alone) pass."
        ),
    )
    resolution_review_probability: float = Field(
        default=0.5,
        gt=0,
        le=1,
        description=(
            "Match probability at or above which (and below the auto-merge one) a pair "
            "goes to the review queue: more likely one company than two, but not sure "
            "enough to merge alone. Lower fills the queue with look-alike names."
        ),
    )

    # --- events, push -------------------------------------------------------------------
    events_currency: str = Field(
        default="CNY",
        pattern=r"^[A-Z]{3}$",
        description="Currency whose monthly flows event detection reads (others are ignored).",
    )
    events_flow_rule: Literal["ratio", "zscore"] = Field(
        default="ratio",
        description=(
            "Large in/outflow rule: `ratio` (month > N x median of the months before) or "
            "`zscore` (robust z from median/MAD, plus a ratio floor). Ratio is the default: "
            "steady customers have a tiny MAD, so z-scores flag ordinary seasonality."
        ),
    )
    events_flow_ratio: float = Field(
        default=3.0,
        gt=1,
        description=(
            "`ratio` rule: a month above this multiple of the baseline is large. Steady "
            "customers stay below 2x; a real spike is several times the usual month."
        ),
    )
    events_flow_zscore: float = Field(
        default=5.0, gt=0, description="`zscore` rule: robust z-score that counts as large."
    )
    events_zscore_min_ratio: float = Field(
        default=1.5, ge=1, description="`zscore` rule: the month must also be this multiple."
    )
    events_flow_history_margin: float = Field(
        default=1.5,
        ge=1,
        description=(
            "A large in/outflow must also exceed the customer's largest month before it by "
            "this factor: a customer with quarter-end peaks or capital goods bought in lumps "
            "has had months that large, and another one is its ordinary business."
        ),
    )
    events_high_ratio: float = Field(
        default=5.0,
        gt=1,
        description="A large in/outflow of this multiple or more is high severity.",
    )
    events_min_history_months: int = Field(
        default=3,
        ge=1,
        description="Months of a customer's own history needed before its baseline is trusted.",
    )
    events_counterparty_share: float = Field(
        default=0.30,
        gt=0,
        le=1,
        description=(
            "Share of a customer's flows (in + out) that makes a counterparty major, for "
            "counterparty_loss and new_major_counterparty: under 30% a partner leaving or "
            "arriving is ordinary churn."
        ),
    )
    events_side_share: float = Field(
        default=0.5,
        gt=0,
        le=1,
        description=(
            "A counterparty holding this share of the side it trades on (half of what the "
            "customer buys, or of what it sells) is major too, for counterparty_loss and "
            "new_major_counterparty: the main supplier or buyer matters even when the "
            "other side's flows are larger."
        ),
    )
    events_loss_min_regularity: float = Field(
        default=0.75,
        gt=0,
        le=1,
        description=(
            "counterparty_loss: share of the months from a counterparty's first payment to "
            "its last that must have one. An occasional partner (projects, equipment bought "
            "now and then) going quiet is not a lost relationship; a late payment leaves "
            "one gap, which this allows."
        ),
    )
    events_high_share: float = Field(
        default=0.40, gt=0, le=1, description="A major counterparty share that is high severity."
    )
    events_loss_min_months: int = Field(
        default=2,
        ge=1,
        description=(
            "Months a major counterparty must be silent before its loss is reported: one "
            "missing month is often a late payment."
        ),
    )
    events_new_min_months: int = Field(
        default=2,
        ge=1,
        description="Months a new counterparty must appear in: one payment is not a relationship.",
    )
    events_dormancy_months: int = Field(
        default=3,
        ge=1,
        description="Silent months (no payment at all) that make a customer dormant.",
    )
    webhook_urls: list[str] = Field(
        default=[],
        description="URLs that receive every new event as a signed JSON POST (JSON list).",
    )
    webhook_secret: SecretStr | None = Field(
        default=None,
        description=(
            "Standard Webhooks signing secret, `whsec_` + base64 of 24 to 64 random bytes "
            "(`corpgraph webhooks secret` makes one). Unset: no webhooks."
        ),
    )
    webhook_timeout_s: float = Field(
        default=5.0,
        gt=0,
        description=(
            "HTTP timeout of one webhook delivery attempt; a timeout is a failure and is "
            "retried with back-off."
        ),
    )
    webhook_concurrency: int = Field(
        default=4,
        ge=1,
        le=64,
        description=(
            "Deliveries in flight at once: enough to drain a backlog, few enough not to "
            "flood a receiver that just came back."
        ),
    )
    webhook_worker_interval_s: float = Field(
        default=10.0,
        ge=0,
        description=(
            "How often the API process sends due webhook deliveries (0: never; then run "
            "`corpgraph webhooks deliver`). Ten seconds keeps pushes prompt at one query a round."
        ),
    )
    webhook_backoff_base_s: float = Field(
        default=30.0,
        ge=0,
        description=(
            "First retry delay; it doubles per failed attempt, so a receiver that is down "
            "for a while is not hammered."
        ),
    )
    webhook_backoff_max_s: float = Field(
        default=3600.0, ge=0, description="Longest delay between two attempts (one hour)."
    )
    # --- scorecards (issue 15, T14) ------------------------------------------------------
    scorecard_window_months: int = Field(
        default=3,
        ge=1,
        le=24,
        description=(
            "Months the scorecards count new customers, losses, wins, activities and "
            "advances over: a quarter, the period banks review RMs on, long enough that one "
            "busy week does not decide a rank."
        ),
    )
    scorecard_weights: dict[str, int] = Field(
        default_factory=lambda: {
            "new_customers": 20,
            "lost_customers": 10,
            "won_amount": 15,
            "balances": 15,
            "activities": 15,
            "response_time": 10,
            "advanced": 15,
        },
        description=(
            "Weight of each scorecard line (JSON object; a line left out weighs 0): "
            "results 60, diligence 40, so activity alone never outranks results, yet an "
            "RM who logs nothing and answers no event cannot reach the top."
        ),
    )
    events_stream_poll_s: float = Field(
        default=2.0, gt=0, description="How often the event stream polls Neo4j for new events."
    )
    events_stream_heartbeat_s: float = Field(
        default=15.0,
        gt=0,
        description="Idle seconds before the stream sends a heartbeat (keeps proxies open).",
    )

    @model_validator(mode="after")
    def _min_months_fit_the_window(self) -> Settings:
        if self.interdependence_min_months > self.interdependence_window_months:
            raise ValueError(
                "CORPGRAPH_INTERDEPENDENCE_MIN_MONTHS must not exceed "
                "CORPGRAPH_INTERDEPENDENCE_WINDOW_MONTHS"
            )
        return self

    @field_validator("webhook_secret")
    @classmethod
    def _standard_webhooks_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        text = value.get_secret_value()
        try:
            key = base64.b64decode(text.removeprefix("whsec_"), validate=True)
        except ValueError as error:
            raise ValueError("CORPGRAPH_WEBHOOK_SECRET must be whsec_ + base64") from error
        if not text.startswith("whsec_") or not 24 <= len(key) <= 64:
            raise ValueError(
                "CORPGRAPH_WEBHOOK_SECRET must be whsec_ + base64 of 24 to 64 random bytes"
            )
        return value

    @field_validator("scorecard_weights")
    @classmethod
    def _known_scorecard_lines(cls, value: dict[str, int]) -> dict[str, int]:
        known = SCORECARD_LINES
        unknown = sorted(set(value) - set(known))
        if unknown:
            raise ValueError(f"unknown scorecard lines {unknown}; use {', '.join(known)}")
        if any(weight < 0 for weight in value.values()) or not any(value.values()):
            raise ValueError("scorecard weights are not negative and not all zero")
        return value

    @field_validator("neo4j_uri")
    @classmethod
    def _blank_uri_is_unset(cls, value: str | None) -> str | None:
        return value or None

    @field_validator("resolution_review_probability")
    @classmethod
    def _review_below_merge(cls, value: float, info: ValidationInfo) -> float:
        merge = info.data.get("resolution_auto_merge_probability")
        if merge is not None and value > merge:
            raise ValueError("the review threshold must not exceed the auto-merge threshold")
        return value

    @property
    def uses_local_server(self) -> bool:
        """True when no external ``NEO4J_URI`` is configured."""
        return self.neo4j_uri is None

    @property
    def local_data_dir(self) -> Path:
        """The embedded server's data folder, resolved against ``home``."""
        return (self.local_neo4j_data_dir or self.home / "neo4j").expanduser().resolve()

    @property
    def group_concentration_minor(self) -> dict[str, int]:
        """The concentration threshold in integer minor units per currency."""
        return {"CNY": int(self.group_concentration_cny * 100)}

    @property
    def log_level_number(self) -> int:
        """The numeric :mod:`logging` level."""
        return logging.getLevelNamesMapping()[self.log_level]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings, read once from the environment."""
    return Settings()


def env_names() -> dict[str, str]:
    """Map every environment variable corpgraph reads to its settings field.

    Examples
    --------
    >>> env_names()["NEO4J_URI"], env_names()["CORPGRAPH_API_PORT"]
    ('neo4j_uri', 'api_port')
    """
    prefix = Settings.model_config.get("env_prefix", "")
    names: dict[str, str] = {}
    for field_name, info in Settings.model_fields.items():
        alias = info.validation_alias
        if isinstance(alias, AliasChoices):
            for choice in alias.choices:
                if isinstance(choice, str) and choice.isupper():
                    names[choice] = field_name
        else:
            names[f"{prefix}{field_name}".upper()] = field_name
    return names
