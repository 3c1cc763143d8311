/* dedup.h — the dedup plan of a batch: which group each article belongs to (a group of the archive
 * or a new one), which article each group keeps, and why.
 *
 * Groups, not survivors: an archive remembers every article it has seen, kept or dropped, and the
 * group it joined. A batch article is compared with every archived member (nd_index_match) and with
 * the other batch articles (nd_find_pairs), and joins the group of its best match:
 *
 *   Links are taken best first: by max(jaccard, containment either way), then jaccard, then input
 *   order. A link joins the two sides' groups, unless both sides already belong to two different
 *   archived groups: archived groups never merge (their numbers and kept articles are stable), so
 *   that link is skipped. An article's own best link is never skipped (when it is taken, the article
 *   is still alone), so every article joins the group of its best match, and batch articles that
 *   match each other but no archived article form one new group, as in `scan`.
 *
 * A batch article whose id is archived is that archived article (a batch run again): it stays in its
 * group with its status, and nothing about it is added.
 *
 * Which article a group keeps:
 *   new group       by the keep policy among its members: first (input order), longest (bytes,
 *                   ties: first), earliest (date; an article without one counts as later than every
 *                   dated article with ND_DATE_MISSING_LAST, earlier with _FIRST; ties: first)
 *   archived group  its archived kept article, unless the rekeep policy prefers a batch member:
 *                   earliest (a strictly earlier date, under the same missing-date rule) or longest
 *                   (strictly more bytes). The archived article it replaces is then "superseded".
 *
 * New groups are numbered next_group, next_group + 1, ... in input order of their first member, so a
 * plan made without adding gives the numbers an add would give.
 *
 * Stability: stable (docs/api.md): the calls and enums (values numbered, new ones added last);
 * NdDedupOptions, NdDedupArticle, NdDedupGroup, NdDedupResult and NdDedupSuperseded only grow at
 * the end. NdDedupOptions has no _init: zero it (= {0}) before setting fields, so new fields get
 * their zero default.
 */
#ifndef NEARDUP_DEDUP_H
#define NEARDUP_DEDUP_H

#include <neardup/api.h>
#include <glib.h>
#include <neardup/finder.h>

ND_BEGIN_DECLS

typedef enum { ND_KEEP_FIRST, ND_KEEP_LONGEST, ND_KEEP_EARLIEST } NdKeepPolicy;
typedef enum { ND_REKEEP_NEVER, ND_REKEEP_EARLIEST, ND_REKEEP_LONGEST } NdRekeepPolicy;
typedef enum { ND_DATE_MISSING_LAST, ND_DATE_MISSING_FIRST } NdDateMissing;

typedef struct {
  NdKeepPolicy keep;
  NdRekeepPolicy rekeep;
  NdDateMissing date_missing;
} NdDedupOptions;

/* A batch article, as the plan needs it (strings borrowed: they must outlive the plan). */
typedef struct {
  const char *id;
  guint64 bytes;
  gboolean has_date;
  gint64 date;                  /* UTC seconds, when has_date */
  guint64 archived_group;       /* nonzero: an article with this id is archived, in this group */
  gboolean archived_kept;       /* ... and is its group's kept article */
  const char *archived_match;   /* ... and joined it through this article (or NULL) */
  double archived_jaccard, archived_containment; /* ... with these scores */
} NdDedupArticle;

/* An archived group that batch articles match or belong to: its kept article. */
typedef struct {
  guint64 group;
  const char *kept_id;
  guint64 kept_bytes;
  gboolean kept_has_date;
  gint64 kept_date;
} NdDedupGroup;

typedef enum { ND_DEDUP_KEPT, ND_DEDUP_DROPPED, ND_DEDUP_SUPERSEDED } NdDedupStatus;

/* What the plan decided for one batch article. */
typedef struct {
  guint64 group;
  gboolean new_group;       /* the group is new (made by this batch) */
  NdDedupStatus status;     /* SUPERSEDED: an archived kept article that a batch member replaces */
  const char *kept_id;      /* the group's kept article (this article itself when kept) */
  gint kept_article;        /* its batch index, or -1 when it is archived */
  const char *match_id;     /* the best match the article joined through, or NULL (none) */
  gint match_article;       /* its batch index (also for an archived article run again), or -1 when
                               it is archived and not in the batch (or there is none) */
  double jaccard;           /* with the best match */
  double containment;       /* the share of this article found in the best match */
  gboolean rekept;          /* this article replaces the archived kept article of its group */
} NdDedupResult;

/* An archived kept article that the plan replaces by a batch member (rekeep). */
typedef struct {
  guint64 group;
  const char *id;           /* the archived article that is no longer kept */
  guint new_kept;           /* batch index of the article kept instead */
} NdDedupSuperseded;

typedef struct NdDedupPlan NdDedupPlan;

/* A plan for `n` batch articles (copied; their strings are borrowed). */
NdDedupPlan *nd_dedup_plan_new(const NdDedupOptions *options, const NdDedupArticle *articles, guint n);
void nd_dedup_plan_free(NdDedupPlan *plan);

/* Pairs of batch articles (indices into the articles; a != b) as nd_find_pairs reports them. */
void nd_dedup_plan_add_pairs(NdDedupPlan *plan, const NdPair *pairs, gsize n_pairs);
/* Batch article `article` matches the archived article `id` of `group` with `scores` (a = the batch
 * article). `id` is borrowed. */
void nd_dedup_plan_add_archived(NdDedupPlan *plan, guint article, guint64 group, const char *id, const NdPair *scores);
/* An archived group's kept article; needed for every group named by a match or by an article's
 * archived_group (the strings are borrowed). */
void nd_dedup_plan_add_group(NdDedupPlan *plan, const NdDedupGroup *group);

/* Decides the plan (see above). FALSE with ND_ERROR_INVALID_ARG when a group named by a match has no
 * nd_dedup_plan_add_group, or an index is out of range. */
gboolean nd_dedup_plan_solve(NdDedupPlan *plan, guint64 next_group, GError **error);

/* The decision for batch article i (after a successful solve); owned by the plan. */
const NdDedupResult *nd_dedup_plan_result(const NdDedupPlan *plan, guint i);
/* The number of groups the plan makes (next_group .. next_group + n - 1). */
guint nd_dedup_plan_new_groups(const NdDedupPlan *plan);
/* Archived kept articles replaced by a batch member, in input order of the members that replace
 * them; owned by the plan. */
const NdDedupSuperseded *nd_dedup_plan_superseded(const NdDedupPlan *plan, guint *n);

/* The copy of batch article i (the kept article of a group) could not be made: nothing of its group
 * is archived (nor is its rekeep done), so that the archive and the copies agree and a rerun
 * completes the work. The results stay as decided. */
void nd_dedup_plan_withdraw(NdDedupPlan *plan, guint i);
/* TRUE when batch article i is to be archived: not archived already, its group not withdrawn. */
gboolean nd_dedup_plan_to_archive(const NdDedupPlan *plan, guint i);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(NdDedupPlan, nd_dedup_plan_free)

ND_END_DECLS

#endif
