"""Topic names, declared once. Every topic is keyed by request id and has the same partition count."""

REQUESTS = "requests"  # public: GenerationRequest
SUBMISSIONS = "submissions"  # public: ImageSubmission
SCREENED = "screened"  # internal: Screened
CANDIDATES = "candidates"  # public: Candidate
DECISIONS = "decisions"  # internal: Decision
REVIEW = "review"  # public: ReviewItem
REVIEW_DECISIONS = "review-decisions"  # public: ReviewDecision
OUTCOMES = "outcomes"  # public: Outcome
AUDIT = "audit"  # public: AuditEvent
DEAD_LETTER = "dead-letter"  # public: DeadLetter

ALL = (REQUESTS, SUBMISSIONS, SCREENED, CANDIDATES, DECISIONS, REVIEW, REVIEW_DECISIONS, OUTCOMES, AUDIT, DEAD_LETTER)
INTERNAL = (SCREENED, DECISIONS)
# Topics only modstream's own parts write: their messages carry an authentication tag (streams.authentication).
AUTHENTICATED = (SCREENED, CANDIDATES, DECISIONS, REVIEW, REVIEW_DECISIONS, OUTCOMES, AUDIT)
# Topics that hold content for a short time only: raw prompts (screened), review previews, bad input.
SHORT_LIVED = (SCREENED, REVIEW, DEAD_LETTER)
# Where a request can end: exactly one of these holds it (an outcome may follow a review later).
ENDS = (OUTCOMES, REVIEW, DEAD_LETTER)
