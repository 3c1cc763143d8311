/* wait.h — private: waiting on MPI without keeping a core busy (dist.c, search.c). */
#ifndef NEARDUP_MPI_WAIT_H
#define NEARDUP_MPI_WAIT_H

#include <mpi.h>

/* Completes `request` (not NULL), sleeping 200 µs between tests: a rank that waits for others must
 * leave its core to them (Open MPI's blocking calls poll at full speed, which on a machine with as
 * many ranks as cores takes a core from a rank still working). A caller's MPI_Wait after it returns
 * at once (the request is complete) and shows clang's MPI checker the wait it looks for. */
void nd_dist_test_idle(MPI_Request *request);

#endif
