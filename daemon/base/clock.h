/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The time, in one place: CLOCK_MONOTONIC for intervals, rate limits and
 * deadlines; CLOCK_REALTIME for what is shown or sent (detection times,
 * D-Bus timestamps); CLOCK_BOOTTIME to turn the kernel's boot-relative
 * event timestamps into wall time (te_boot_to_wall_ns()).
 */
#pragma once

#include <stdint.h>
#include <time.h>

#ifndef NSEC_PER_SEC
#define NSEC_PER_SEC UINT64_C(1000000000)
#endif
#ifndef NSEC_PER_MSEC
#define NSEC_PER_MSEC UINT64_C(1000000)
#endif
#ifndef NSEC_PER_USEC
#define NSEC_PER_USEC UINT64_C(1000)
#endif
#ifndef USEC_PER_SEC
#define USEC_PER_SEC UINT64_C(1000000)
#endif

static inline uint64_t te_timespec_ns(const struct timespec *ts)
{
	return (uint64_t)ts->tv_sec * NSEC_PER_SEC + (uint64_t)ts->tv_nsec;
}

/* Now on @clock, in ns.  clock_gettime cannot fail for these clocks. */
static inline uint64_t te_now_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return te_timespec_ns(&ts);
}

static inline uint64_t te_now_usec(clockid_t clock)
{
	return te_now_ns(clock) / NSEC_PER_USEC;
}

/* CLOCK_REALTIME - CLOCK_BOOTTIME in ns: added to a bpf_ktime_get_boot_ns()
 * timestamp it gives wall time.  Read again for every batch of events so
 * that clock steps are followed. */
static inline int64_t te_boot_to_wall_ns(void)
{
	struct timespec rt, bt;

	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_BOOTTIME, &bt);
	return (int64_t)(rt.tv_sec - bt.tv_sec) * (int64_t)NSEC_PER_SEC + (rt.tv_nsec - bt.tv_nsec);
}
