/* A model of core/sched's context-switch hand-off on two CPUs, checked
 * exhaustively by Spin (host-tests/model/run.sh).
 *
 * No lock is held across a switch. A CPU that picked thread N waits until
 * N's on_cpu is clear (N's registers saved by the CPU it left), sets it,
 * switches, and then clears on_cpu of the thread it switched away from.
 * Each CPU's round is: under its queue lock(s), put the current thread
 * back (yield), block it, or mark it to migrate; pick the next from its
 * own queue, else steal one that is saved, else idle; then, without
 * locks, the wait, the switch and the clear; a migrating thread is queued
 * on the other CPU once saved. A waker wakes blocked threads onto either
 * CPU, waiting for the save first when it is not the CPU the thread left
 * (wait_saved). So a thread still being saved is only ever on the queue
 * of the CPU it is leaving.
 *
 * Checked: a thread's registers are held by at most one CPU at a time
 * (asserted when a CPU loads them), a woken thread is blocked and on no
 * queue, and no invalid end state: no CPU is left waiting forever, so the
 * waits cannot deadlock. (They cannot form a cycle at all: a running
 * thread is on no queue, so a CPU can only pick a thread another CPU
 * switched away from earlier, and waits follow pick order.) Each of the
 * two protections alone keeps the registers exclusive: the wait in
 * switch_to, and the rule that wakers (like migration and stealing) never
 * put a thread still being saved on another CPU's queue. The code has
 * both. With -DNO_WAIT -DNO_WAIT_SAVED, both left out, Spin finds a CPU
 * loading registers another CPU still holds, so the model is shown to
 * catch that mistake.
 * Not modelled: policy order within a queue (any queued thread may be
 * picked), affinity beyond the one migration, and the counters. */

#define NCPU   2
#define NTH    3
#define NONE   255
#define ROUNDS 3
#define WAKES  3

#define RUNNABLE 0
#define RUNNING  1
#define BLOCKED  2

bool on_cpu[NTH];   /* registers live, or still being saved */
byte q[NTH];        /* CPU whose queue holds the thread, NONE if none */
byte st[NTH];       /* RUNNABLE, RUNNING, BLOCKED */
byte from_cpu[NTH];     /* CPU it last ran on (the one it is leaving) */
byte owner[NTH];    /* ghost: CPU holding its registers, NONE if saved */
byte cur[NCPU];     /* current thread, NONE for the idle loop */

/* next := a thread queued on CPU c, else one stolen from the other CPU
 * (only if saved), else NONE. Inside the caller's
 * atomic block: the queue locks are held. */
inline pick(c, next) {
    next = NONE;
    i = 0;
    do
    :: i < NTH && q[i] == c ->
        if
        :: next = i; break
        :: i++                     /* any queued thread: policy order is not modelled */
        fi
    :: i < NTH && q[i] != c -> i++
    :: i >= NTH -> break
    od;
    if
    :: next == NONE ->
        i = 0;
        do
        :: i < NTH && q[i] == 1 - c && !on_cpu[i] -> next = i; break
        :: i < NTH && !(q[i] == 1 - c && !on_cpu[i]) -> i++
        :: i >= NTH -> break
        od
    :: else -> skip
    fi;
    i = 0
}

proctype cpu(byte c) {
    byte prev, next, mig, rounds, i;

    do
    :: rounds < ROUNDS ->
        atomic {
            prev = cur[c];
            mig = NONE;
            if
            :: prev != NONE ->
                if
                :: st[prev] = RUNNABLE; q[prev] = c          /* yield or preemption */
                :: st[prev] = BLOCKED                         /* waits on something */
                :: st[prev] = RUNNABLE; mig = 1 - c           /* affinity moved it away */
                fi
            :: else -> skip
            fi;
            pick(c, next);
            if
            :: next != NONE ->
                assert(st[next] == RUNNABLE);
                q[next] = NONE;
                st[next] = RUNNING
            :: else -> skip
            fi;
            cur[c] = next
        };
        if
        :: next != prev ->
            if
            :: next != NONE ->
#ifndef NO_WAIT
                (!on_cpu[next]);                              /* switch_to's wait */
#endif
                atomic {
                    assert(owner[next] == NONE);              /* nobody else holds its registers */
                    on_cpu[next] = true;
                    owner[next] = c;
                    from_cpu[next] = c
                }
            :: else -> skip
            fi;
            /* hal_context_switch, then finish_switch on the new side */
            if
            :: prev != NONE ->
                atomic { owner[prev] = NONE; on_cpu[prev] = false };
                if
                :: mig != NONE -> atomic { q[prev] = mig }     /* place_migrant, once saved */
                :: else -> skip
                fi
            :: else -> skip
            fi
        :: else -> skip
        fi;
        rounds++
    :: rounds >= ROUNDS -> break
    od
}

/* Wakes up to WAKES blocked threads, each onto either CPU. */
proctype waker() {
    byte t, target, wakes;

    do
    :: wakes < WAKES ->
        atomic {
            t = NONE;
            if
            :: st[0] == BLOCKED -> t = 0
            :: st[1] == BLOCKED -> t = 1
            :: st[2] == BLOCKED -> t = 2
            :: else -> skip
            fi;
            if
            :: target = 0
            :: target = 1
            fi
        };
        if
        :: t != NONE ->
#ifndef NO_WAIT_SAVED
            if
            :: target != from_cpu[t] -> (!on_cpu[t])          /* wait_saved */
            :: else -> skip
            fi;
#endif
            atomic { assert(st[t] == BLOCKED && q[t] == NONE); st[t] = RUNNABLE; q[t] = target }
        :: else -> skip
        fi;
        wakes++
    :: wakes >= WAKES -> break
    od
}

init {
    atomic {
        /* T0 runs on CPU 0, T1 on CPU 1, T2 is queued on CPU 0. */
        cur[0] = 0; st[0] = RUNNING; on_cpu[0] = true; owner[0] = 0; from_cpu[0] = 0; q[0] = NONE;
        cur[1] = 1; st[1] = RUNNING; on_cpu[1] = true; owner[1] = 1; from_cpu[1] = 1; q[1] = NONE;
        st[2] = RUNNABLE; q[2] = 0; owner[2] = NONE; from_cpu[2] = 0;
        run cpu(0);
        run cpu(1);
        run waker()
    }
}
