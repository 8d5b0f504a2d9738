/*
 * controls.c - the default control table (docs/scoring.md): the controls of
 * Defender for Cloud's classic model that have Kubernetes recommendations.
 * Kept as data so a deployment or a test can pass another table.
 */
#include "internal.h"

static const sg_score_control_def default_controls[] = {
    {"vulnerabilities", "Remediate vulnerabilities", 6},
    {"security-configurations", "Remediate security configurations", 4},
    {"access", "Manage access and permissions", 4},
    {"data-in-transit", "Encrypt data in transit", 4},
    {"network", "Restrict unauthorized network access", 4},
    {"ddos", "Protect applications against DDoS attacks", 2},
    {"best-practices", "Implement security best practices", 0},
};

const sg_score_control_def *sg_score_default_controls(size_t *n)
{
    *n = sizeof default_controls / sizeof default_controls[0];
    return default_controls;
}
