/* A model of core/cap's revocation protocol, checked exhaustively by Spin.
 *
 * Slot 0 holds a root R, slot 1 its child C. Concurrently:
 *   - revoker:  cap_revoke(R), one CAS advancing R's epoch (or, with
 *               -DDELETE_ROOT, cap_delete(R), advancing its generation);
 *   - deriver:  cap_derive(C) into slot 2 (child D), recording C's stamp;
 *   - sweeper:  frees C's slot once C is dead and reuses it for a new
 *               child of R (the handle of C must not see the new occupant);
 *   - v_c, v_d: cap_verify of C's old handle and of D's handle.
 * Each verify must be linearizable: it may succeed only if the capability
 * was alive (own slot live, every link whole) when the verify began, and
 * may fail only if it is dead when the verify ends. "Alive" is computed
 * atomically, as a ghost. Death is permanent, so these two checks are
 * exactly "there was a moment within the call where the answer was true".
 *
 * Stamps are single words read and written atomically, as in C; fields
 * are separate words. Sequential consistency: the C code's fences and
 * acquire/release orders are what make C behave like this (see
 * docs/CAPABILITY_LATTICE_ARCHITECTURE.md). With -DNO_RECHECK the
 * seqlock re-checks of slot stamps are left out; Spin then finds a verify
 * that succeeds through the new occupant of a recycled slot, so the
 * model is shown to catch that mistake. host-tests/model/run.sh runs it. */

#define NSLOT 3
#define FREE  0
#define LIVE  2
#define NONE  255

/* stamp = generation * 16 + epoch * 4 + state */
#define STAMP(g, e, s) ((g) * 16 + (e) * 4 + (s))
#define GEN(x)    ((x) / 16)
#define EPOCH(x)  (((x) / 4) % 4)
#define STATE(x)  ((x) % 4)
#define OWNER(x)  (GEN(x) * 16 + STATE(x))

byte stamp[NSLOT];
byte pstamp[NSLOT];   /* the parent's stamp recorded at derivation */
byte pslot[NSLOT];    /* the parent's slot, NONE for a root */
byte d_gen;           /* handle of D once published, 0 before */
bool d_done;          /* the deriver has finished, with or without D */

/* alive: the capability (slot, gen) is live and every link is whole,
 * evaluated in one atomic step (a ghost, not part of the protocol). */
inline alive(slot, gen, result) {
    d_step {
        result = (OWNER(stamp[slot]) == STAMP(gen, 0, LIVE));
        a = pslot[slot]; e = pstamp[slot];
        do
        :: result && a != NONE ->
            result = (stamp[a] == e); e = pstamp[a]; a = pslot[a]
        :: else -> break
        od;
        a = 0; e = 0
    }
}

/* cap_verify as core/cap/cap.c does it: own stamp, fields, re-check,
 * then the ancestor walk with a re-check per ancestor. */
inline verify(slot, gen, ok) {
    st = stamp[slot];
    if
    :: OWNER(st) != STAMP(gen, 0, LIVE) -> ok = false
    :: else ->
        a = pslot[slot];
        e = pstamp[slot];
#ifndef NO_RECHECK
        if
        :: OWNER(stamp[slot]) != OWNER(st) -> ok = false; a = NONE
        :: else -> skip
        fi;
#endif
        do
        :: ok && a != NONE ->
            st = stamp[a];
            if
            :: st != e -> ok = false
            :: else ->
                na = pslot[a];
                e = pstamp[a];
#ifndef NO_RECHECK
                if
                :: OWNER(stamp[a]) != OWNER(st) -> ok = false
                :: else -> a = na
                fi
#else
                a = na
#endif
            fi
        :: else -> break
        od
    fi
}

/* cap_revoke(R): R's epoch advances. With -DDELETE_ROOT, cap_delete(R)
 * instead: R's generation advances and its slot is free. */
proctype revoker() {
    byte s;
    s = stamp[0];
#ifdef DELETE_ROOT
    atomic { if :: stamp[0] == s -> stamp[0] = STAMP(GEN(s) + 1, 0, FREE) :: else -> skip fi }
#else
    atomic { if :: stamp[0] == s -> stamp[0] = s + 4 :: else -> skip fi }
#endif
}

proctype deriver() {
    byte st, a, na, e, cst;
    bool ok = true;
    cst = stamp[1];                    /* snapshot of C: stamp first */
    if
    :: OWNER(cst) == STAMP(1, 0, LIVE) ->
        verify(1, 1, ok);
        if
        :: ok ->                       /* publish D: fields, then stamp */
            pslot[2] = 1;
            pstamp[2] = cst;
            stamp[2] = STAMP(1, 0, LIVE);
            d_gen = 1
        :: else -> skip
        fi
    :: else -> skip
    fi;
    d_done = true
}

proctype sweeper() {
    byte st, a, na, e, s, rs;
    bool ok = true;
    s = stamp[1];
    verify(1, GEN(s), ok);
    if
    :: !ok && STATE(s) == LIVE ->
        /* free: the generation advances in one CAS */
        atomic { if :: stamp[1] == s -> stamp[1] = STAMP(GEN(s) + 1, 0, FREE) :: else -> goto done fi };
        /* reuse: a new child of R under R's current stamp */
        rs = stamp[0];
        pslot[1] = 0;
        pstamp[1] = rs;
        stamp[1] = STAMP(GEN(s) + 1, 0, LIVE)
    :: else -> skip
    fi;
done: skip
}

proctype v_c() {
    byte st, a, na, e;
    bool ok = true, before, after;
    alive(1, 1, before);
    verify(1, 1, ok);
    alive(1, 1, after);
    assert(!ok || before);             /* success needs life at the start */
    assert(ok || !after)               /* failure needs death by the end */
}

proctype v_d() {
    byte st, a, na, e;
    bool ok = true, before, after;
    d_done;
    if
    :: d_gen == 1 ->                   /* D's handle exists */
        alive(2, 1, before);
        verify(2, 1, ok);
        alive(2, 1, after);
        assert(!ok || before);
        assert(ok || !after)
    :: else -> skip
    fi
}

init {
    atomic {
        stamp[0] = STAMP(1, 0, LIVE); pslot[0] = NONE;
        stamp[1] = STAMP(1, 0, LIVE); pslot[1] = 0; pstamp[1] = stamp[0];
        stamp[2] = STAMP(1, 0, FREE); pslot[2] = NONE;
        run revoker(); run deriver(); run sweeper(); run v_c(); run v_d()
    }
}
