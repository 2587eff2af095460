// SPDX-License-Identifier: GPL-2.0
/*
 * secel - the SE list's state machine as pure functions: which
 * configurator operation an SE's state allows, where a verification
 * leaves it, and when the designation goes.  list.c applies them under
 * its locks; KUnit checks the tables.
 *
 *   reported --verify--> verifying --pass--> listed
 *                                  --fail--> rejected
 *   listed   --VERIFY--> verifying (designation kept while it passes)
 *   listed   --DELETE--> deleted
 *   rejected, deleted, reported --ADD--> verifying
 *   listed   --RESET with an ATR that fails--> rejected
 *
 * secel_se_set_state_locked() (list.c) is the only writer of an SE's
 * state; it checks each move against secel_state_transition_ok().
 */
#include <linux/errno.h>

#include "secel-parse.h"

/**
 * secel_state_allows() - may the configurator run @op on an SE in @state?
 * @state: SECEL_STATE_*
 * @op: SECEL_OP_*
 *
 * Return: 0 to go on, SECEL_OP_SKIP when there is nothing to do (an
 * automatic verification of an SE already handled, INQUIRE of an SE that
 * is not listed: its known information is reported), or the errno the
 * operation fails with: -EALREADY (ADD of a listed SE), -ENOENT (VERIFY,
 * DELETE or DESIGNATE of an SE that is not listed), -EBUSY (anything while
 * verifying), -EINVAL for an unknown state or operation.
 */
int secel_state_allows(u32 state, enum secel_op op)
{
	if (state < SECEL_STATE_REPORTED || state > SECEL_STATE_DELETED ||
	    op < SECEL_OP_AUTO || op > SECEL_OP_DESIGNATE)
		return -EINVAL;
	if (state == SECEL_STATE_VERIFYING)
		return op == SECEL_OP_AUTO || op == SECEL_OP_INQUIRE ?
		       SECEL_OP_SKIP : -EBUSY;

	switch (op) {
	case SECEL_OP_AUTO:
		return state == SECEL_STATE_REPORTED ? 0 : SECEL_OP_SKIP;
	case SECEL_OP_ADD:
		return state == SECEL_STATE_LISTED ? -EALREADY : 0;
	case SECEL_OP_INQUIRE:
		return state == SECEL_STATE_LISTED ? 0 : SECEL_OP_SKIP;
	default:	/* VERIFY, DELETE, DESIGNATE */
		return state == SECEL_STATE_LISTED ? 0 : -ENOENT;
	}
}

/**
 * secel_state_after_verify() - the state a verification leaves an SE in
 * @before: the state before it began
 * @ret: its result: 0 passed, -EINTR or -ENOMEM when the caller gave up
 *	or memory ran out (the card did not fail), else why the card failed
 *
 * Return: SECEL_STATE_LISTED, SECEL_STATE_REJECTED, or @before when the
 * verification did not judge the card.
 */
u32 secel_state_after_verify(u32 before, int ret)
{
	if (!ret)
		return SECEL_STATE_LISTED;
	if (ret == -EINTR || ret == -ENOMEM)
		return before;
	return SECEL_STATE_REJECTED;
}

/**
 * secel_state_keeps_designation() - does an SE moving to @state stay the
 * designated one?
 * @state: the new state
 *
 * Return: true for listed and verifying (a re-verification keeps it while
 * it runs and when it passes), false for every other state.
 */
bool secel_state_keeps_designation(u32 state)
{
	return state == SECEL_STATE_LISTED || state == SECEL_STATE_VERIFYING;
}

/**
 * secel_state_transition_ok() - is a move from @from to @to in the life
 * cycle?
 * @from: the current SECEL_STATE_*
 * @to: the next one
 *
 * A verification that did not judge the card (interrupted, out of
 * memory) returns to the state it started from, so verifying may go back
 * to any state verification starts from.
 *
 * Return: true when the state machine has that transition.
 */
bool secel_state_transition_ok(u32 from, u32 to)
{
	switch (from) {
	case SECEL_STATE_REPORTED:
	case SECEL_STATE_REJECTED:
	case SECEL_STATE_DELETED:
		return to == SECEL_STATE_VERIFYING;
	case SECEL_STATE_VERIFYING:
		return to >= SECEL_STATE_REPORTED && to <= SECEL_STATE_DELETED &&
		       to != SECEL_STATE_VERIFYING;
	case SECEL_STATE_LISTED:
		return to == SECEL_STATE_VERIFYING ||
		       to == SECEL_STATE_DELETED ||
		       to == SECEL_STATE_REJECTED;
	default:
		return false;
	}
}
