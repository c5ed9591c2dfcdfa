"""The enforcement pipeline, stepped one day at a time over all replications at once.

State arrays are shaped ``(reps, offices, ...)``. Each day, in this order:

1. Effort: officer-equivalent agent-days per office (ramped workforce, times
   relative productivity, less any post-replacement dip).
2. Allocation across priority groups: baseline shares; under pressure (target
   shortfall plus the regime's pressure, capped at 1) the share
   ``pressure_shift * pressure`` of effort moves to the group with the highest
   current yield per agent-day.
3. Arrests per group: ``Binomial(pool, 1 - exp(-y * E_g / pool0))``, the
   random-search (Koopman) / Baranov catch form; pools are depleted by arrests
   and replenished at a stated rate.
4. Processing: book-ins up to the office's daily capacity; the rest wait.
5. Detention: each disposition path is a phase-type delay chain; counts that
   finish join the removal queue, are released, or depart.
6. Transport: national seats shared over the removal queues.
7. Admissions (book-ins plus border transfers) up to free beds; overflow is
   transferred to offices with free beds or released, as the scenario says.
8. Releases enrol in alternatives to detention at a stated share.
9. At the end of each ranking period, the performance regime replaces the
   leadership of the bottom offices.

See docs/model.md for the equations and their sources.
"""

from __future__ import annotations

import numpy as np

from atlarge.engine.allocation import fill_up_to, largest_remainder, stochastic_round
from atlarge.engine.rng import RandomStreams
from atlarge.engine.samplers import binomial, multinomial
from atlarge.model.inputs import OUTCOMES, ModelInputs

# Random stream ids: one per kind of draw, so adding a draw never shifts another.
S_ARRESTS, S_REPLENISH, S_BORDER, S_EXITS, S_PATHS, S_ATD_EXIT, S_ATD_ENROL, S_TIES = range(1, 9)

OFFICE_MEASURES = (
    "arrests",
    "booked",
    "border_admissions",
    "processing_backlog",
    "detained",
    "removal_queue",
    "removed",
    "released",
    "released_capacity",
    "departed",
    "transferred_in",
    "transferred_out",
    "atd_population",
    "replacements",
)
"""Daily measures recorded per (replication, office, day)."""


def run_chunk(inputs: ModelInputs, seed: int, reps: np.ndarray) -> dict[str, np.ndarray]:
    """Simulate the replications ``reps`` (global indices); return daily series.

    Office measures come back shaped ``(reps, offices, days)``; per-group
    arrests and pools ``(reps, offices, groups, days)``; path entries
    ``(reps, chains, days)``.
    """
    inp = inputs
    sc = inp.scenario
    streams = RandomStreams.for_replications(seed, reps)
    n_r, n_o, n_g, n_d = len(reps), inp.n_offices, inp.n_groups, inp.days
    chains = inp.chains
    n_c = chains.n_chains
    dtype = np.int32

    rec = {m: np.zeros((n_d, n_r, n_o), dtype=dtype) for m in OFFICE_MEASURES}
    rec_group = np.zeros((n_d, n_r, n_o, n_g), dtype=dtype)
    rec_pool = np.zeros((n_d, n_r, n_o, n_g), dtype=dtype)
    rec_entries = np.zeros((n_d, n_r, n_c), dtype=dtype)

    pool = np.broadcast_to(inp.pool0, (n_r, n_o, n_g)).astype(np.int64)
    pool0 = inp.pool0[None, :, :]
    safe_pool0 = np.where(pool0 > 0, pool0, 1.0)
    y = inp.yield_per_agent_day
    w0 = inp.effort_share
    group_index = np.arange(n_g)
    shift = sc.targeting.pressure_shift.value
    window = round(sc.targeting.pressure_window_days.value)
    recent = np.zeros((window, n_r, n_o), dtype=np.int64)

    stock = np.broadcast_to(inp.initial_detained, (n_r, n_o, chains.n_slots)).astype(np.int64)
    exit_p = chains.exit_probability()
    first = chains.first
    is_outcome = [inp.chain_outcome == k for k in range(len(OUTCOMES))]
    backlog = np.zeros((n_r, n_o), dtype=np.int64)
    queue = np.zeros((n_r, n_o), dtype=np.int64)
    atd = np.zeros((n_r, n_o), dtype=np.int64)

    regime = sc.regime
    regime_on = regime.enabled
    n_bottom = int(np.floor(regime.bottom_fraction.value * n_o + 1e-9)) if regime_on else 0
    dip = regime.productivity_dip.value
    dip_days = round(regime.dip_days.value)
    dip_until = np.zeros((n_r, n_o), dtype=np.int64)
    replaced = np.zeros((n_r, n_o), dtype=bool)
    base_pressure = regime.pressure_all.value if regime_on else 0.0
    period_arrests = np.zeros((n_r, n_o), dtype=np.int64)
    period_target = np.zeros(n_o)
    overflow_transfer = sc.detention.overflow == "transfer"

    for t in range(n_d):
        # 1-2. effort and its split across groups
        effort = inp.effort[t][None, :] * np.where(dip_until > t, 1.0 - dip, 1.0)
        seen = min(t, window)
        if seen:
            avg = recent.sum(axis=0) / seen
            tgt = inp.target_office[t][None, :]
            shortfall = np.where(tgt > 0, 1.0 - avg / np.where(tgt > 0, tgt, 1.0), 0.0)
        else:
            shortfall = np.zeros((n_r, n_o))
        pressure = np.clip(
            np.clip(shortfall, 0.0, 1.0)
            + base_pressure
            + regime.pressure_replaced.value * replaced,
            0.0,
            1.0,
        )
        # Current yield per agent-day of each group falls as its pool is depleted;
        # under pressure a share of effort moves to the group quickest to arrest.
        yld = y * pool / safe_pool0 * (pool0 > 0)
        quickest = np.argmax(yld, axis=-1)[..., None] == group_index
        moved = (shift * pressure)[..., None]
        alloc = (1.0 - moved) * w0 + moved * quickest

        # 3. arrests from finite pools, then replenishment
        hazard = y * effort[..., None] * alloc / safe_pool0
        p_arrest = np.where(pool0 > 0, -np.expm1(-hazard), 0.0)
        arrests_g = binomial(streams, pool, p_arrest, t, S_ARRESTS)
        pool -= arrests_g
        pool += stochastic_round(
            np.broadcast_to(inp.replenish[t], pool.shape),
            streams.uniform((n_o, n_g), t, S_REPLENISH),
        )
        arrests = arrests_g.sum(axis=-1)

        # 4. processing (book-in) capacity
        backlog += arrests
        booked = np.minimum(backlog, inp.processing_capacity[t][None, :])
        backlog -= booked
        border = stochastic_round(
            np.broadcast_to(inp.border_inflow[t], (n_r, n_o)), streams.uniform((n_o,), t, S_BORDER)
        )

        # 5. detention paths advance
        done = chains.step(stock, exit_p, streams, t, S_EXITS)
        queue += done[..., is_outcome[0]].sum(axis=-1)
        released = done[..., is_outcome[1]].sum(axis=-1)
        departed = done[..., is_outcome[2]].sum(axis=-1)

        # 6. removal transport: national seats over office queues
        removed = fill_up_to(np.full(n_r, inp.seats[t]), queue)
        queue -= removed

        # 7. admissions up to free beds; overflow transferred or released
        detained = stock.sum(axis=-1) + queue
        free = np.maximum(inp.beds[t][None, :] - detained, 0)
        wanting = booked + border
        admit = np.minimum(wanting, free)
        overflow = wanting - admit
        if overflow_transfer:
            overflow_total = overflow.sum(axis=-1)
            moved_in = fill_up_to(overflow_total, free - admit)
            unplaced = overflow_total - moved_in.sum(axis=-1)
            released_cap = largest_remainder(unplaced, overflow)
            moved_out = overflow - released_cap
        else:
            moved_in = np.zeros_like(admit)
            moved_out = np.zeros_like(admit)
            released_cap = overflow
        entering = admit + moved_in
        split = multinomial(streams, entering, inp.chain_share, t, S_PATHS)
        stock[..., first] += split
        released = released + released_cap

        # 8. alternatives to detention
        atd -= binomial(streams, atd, inp.atd_exit_p, t, S_ATD_EXIT)
        atd += binomial(streams, released, inp.atd_enrol, t, S_ATD_ENROL)

        # pressure window and ranking period
        recent[t % window] = arrests
        period_arrests += arrests
        period_target += inp.target_office[t]
        replaced_today = np.zeros((n_r, n_o), dtype=bool)
        if inp.month_ends[t]:
            if n_bottom:
                if regime.ranking == "share_of_target":
                    score = period_arrests / np.where(period_target > 0, period_target, 1.0)
                else:
                    score = period_arrests.astype(np.float64)
                ties = streams.uniform((n_o,), t, S_TIES)
                order = np.lexsort((ties, score), axis=-1)
                bottom = order[:, :n_bottom]
                np.put_along_axis(replaced_today, bottom, True, axis=-1)
                dip_until[replaced_today] = t + 1 + dip_days
                replaced |= replaced_today
            period_arrests[:] = 0
            period_target[:] = 0.0

        # record
        r = rec
        r["arrests"][t] = arrests
        r["booked"][t] = booked
        r["border_admissions"][t] = border
        r["processing_backlog"][t] = backlog
        r["detained"][t] = stock.sum(axis=-1) + queue
        r["removal_queue"][t] = queue
        r["removed"][t] = removed
        r["released"][t] = released
        r["released_capacity"][t] = released_cap
        r["departed"][t] = departed
        r["transferred_in"][t] = moved_in
        r["transferred_out"][t] = moved_out
        r["atd_population"][t] = atd
        r["replacements"][t] = replaced_today
        rec_group[t] = arrests_g
        rec_pool[t] = pool
        rec_entries[t] = split.sum(axis=1)

    out = {m: np.ascontiguousarray(np.moveaxis(a, 0, -1)) for m, a in rec.items()}
    out["arrests_by_group"] = np.ascontiguousarray(np.moveaxis(rec_group, 0, -1))
    out["pool"] = np.ascontiguousarray(np.moveaxis(rec_pool, 0, -1))
    out["path_entries"] = np.ascontiguousarray(np.moveaxis(rec_entries, 0, -1))
    return out
