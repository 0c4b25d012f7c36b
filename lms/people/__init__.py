"""People of a company: the pages shared by admins and managers, the import from Excel
or CSV, and `lms people import`."""
