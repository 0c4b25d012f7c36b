"""Work graded by a trainer: hand-ins (a photo or file for a `handin` unit), the
trainers' queue "Zu bewerten" and the grade that completes the unit."""
