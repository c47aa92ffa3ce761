package httpapi

// StatusOf exposes the code → status table to the black-box tests.
var StatusOf = statusOf
