"""Sign-off of practical tasks (on-the-job tasks): the pages shared by managers and
trainers, and the service that records a sign-off."""
