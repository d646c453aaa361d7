/*
 * hostd.pml with guest poweroff, a refused cont, management's reset and
 * cont, and migration (see EVENTS there), with no reset but management's and one kill so that
 * the search stays exhaustive and short.
 *
 * mutants: NO_MIG_CANCEL NO_TRUST_RECHECK
 */
#define EVENTS
#define MAXRESETS	0
#define MAXKILLS	1
#include "hostd.pml"
