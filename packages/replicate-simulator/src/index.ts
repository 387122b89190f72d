// Replicate simulator: arrives with the adapters issue.
export {};
