// Placeholder: the HTTP shell arrives with the service issue.
export {};
