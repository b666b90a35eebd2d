/*
 * filehash.h: the SHA-256 of a file, computed in the calling process or
 * by a background worker while the caller does something else (a bronze
 * step hashes a new file while COPY loads it, on another core).
 *
 * The lowest layer: PostgreSQL's cryptohash, file and bgworker APIs only.
 */
#ifndef DATAOPS_FILEHASH_H
#define DATAOPS_FILEHASH_H

#include "postgres.h"

typedef struct FileHashJob FileHashJob;

/*
 * filehash_sha256: the SHA-256 of file `path` as 64 lower-case hex digits
 * (palloc'd), and its size in bytes in *size.  Reads 64 kB at a time and
 * checks for interrupts between reads.  Errors: the file access errors of
 * AllocateFile/fread (58P01 and friends, with the path); XX000 if the
 * hash cannot be computed.
 */
extern char *filehash_sha256(const char *path, int64 *size);

/*
 * filehash_start: starts hashing `path` in a background worker (library
 * dataops, function dataops_filehash_main) that gets the path and returns
 * its result through a dynamic shared memory segment.  Returns NULL when no
 * worker could be registered (max_worker_processes reached): the caller
 * then hashes in its own process.  The caller must have checked that it may
 * read the file.  No errors of its own beyond out of memory.
 */
extern FileHashJob *filehash_start(const char *path);

/*
 * filehash_finish: waits for the job's worker (interruptibly) and returns
 * what filehash_sha256 would have: the hex digest and *size.  If the worker
 * could not read the file, raises its error (the same SQLSTATE and
 * message); if it never ran or died without a result, hashes in this
 * process instead.  Frees the job.
 */
extern char *filehash_finish(FileHashJob *job, int64 *size);

/* filehash_cancel: stops the job's worker, if any, and frees the job; for error paths.  No errors. */
extern void filehash_cancel(FileHashJob *job);

#endif							/* DATAOPS_FILEHASH_H */
