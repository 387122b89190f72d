#!/usr/bin/env python3
"""Weakens one core check per invariant (I1-I8), or removes one audit detector (A:<kind>), in a
scratch copy of the repo, runs the core and cross-package tests against it, and reports which
tests caught each mutant. A mutant that no test catches is a rule that is not really tested.

Usage: python3 scripts/invariant-mutants.py [I1 I2 ... | audit]   (needs `npm ci` done in the repo)
"""
import json, os, shutil, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORE = 'packages/core/src'

# invariant -> (file, original text, weakened text, what the mutant does)
MUTANTS = {
    'I1': (f'{CORE}/domain/training-set.ts',
           "const foreign = uploads.find((upload) => upload.ownerId !== ownerId);",
           "const foreign = uploads.find(() => false);",
           'trainingSetFrom accepts another owner\'s uploads'),
    'I2': (f'{CORE}/domain/upload-verification.ts',
           "if (object.sha256 !== item.sha256 || row.sha256 !== item.sha256) {",
           "if (false) {",
           'verifyUploads no longer compares SHA-256 in storage'),
    'I3': (f'{CORE}/domain/training-package.ts',
           "if (entry.sha256 !== item.sha256 || entry.byteSize !== item.byteSize) {",
           "if (false) {",
           'package entries are not compared with the photos\' SHA-256'),
    'I4': (f'{CORE}/domain/destination.ts',
           ": { owner: strategy.account, name: `selfie-lora-${ownerRef(ownerId)}` };",
           ": { owner: strategy.account, name: `selfie-lora-${ownerRef(ownerId).slice(0, 0)}shared` };",
           'per-owner destination no longer depends on the owner'),
    'I5': (f'{CORE}/domain/pipeline/trainer-report.ts',
           "if (report.trainerTrainingId !== p.trainerTrainingId) {\n    return err(domainError('trainer.invalid_response'",
           "if (false) {\n    return err(domainError('trainer.invalid_response'",
           'judgeReport lets in a report for another training id (webhook, poll and success alike)'),
    'I6': (f'{CORE}/domain/training-set.ts',
           "if (unique.length === 0 || !(unique.length >= minPhotos)) {",
           "if (unique.length > 0 && unique.length < minPhotos) {",
           'an empty training set is accepted'),
    'I7': (f'{CORE}/use-cases/verify-package.ts',
           ".andThen((readBack) => verifyPackage(pipeline.trainingSet, pipeline.id, pipeline.package, readBack))",
           ".map(() => pipeline.package)",
           'verify_package step skipped: the written package counts as verified'),
    'I8': (f'{CORE}/use-cases/start-training.ts',
           "active ? errAsync(domainError('training.already_active', `pipeline ${active.id} is ${active.status}`)) : okAsync(undefined),",
           "okAsync(undefined),",
           'start no longer checks for an active pipeline before writing'),
}
# Audit detectors: each mutant drops one kind of finding; run against the audit's own tests.
FINDINGS = f'{CORE}/domain/audit-findings.ts'
AUDIT_TESTS = ['packages/core/test/audit-findings.test.ts', 'test/use-cases/audit-integrity.test.ts']
for kind, anchor in [
    ('version.unrecorded', "return [{\n      kind: 'version.unrecorded',"),
    ('training.unknown', "return [{\n      kind: 'training.unknown',"),
    ('model.pipeline_not_succeeded', "found.push({ kind: 'model.pipeline_not_succeeded'"),
    ('model.empty_training_set', "found.push({ kind: 'model.empty_training_set'"),
    ('model.foreign_upload', "found.push({ kind: 'model.foreign_upload'"),
    ('model.provenance_mismatch', "found.push({ kind: 'model.provenance_mismatch'"),
    ('pipeline.manifest_mismatch', "found.push({ kind: 'pipeline.manifest_mismatch'"),
    ('pipeline.stuck', "found.push({ kind: 'pipeline.stuck'"),
    ('object.orphan', "return [{ kind: 'object.orphan',"),
    ('row.object_missing/upload', "found.push({ kind: 'row.object_missing', ownerId: upload.ownerId"),
    ('row.object_missing/package', "found.push({ kind: 'row.object_missing', ownerId: pipeline.ownerId"),
    ('row.object_size_differs', "found.push({ kind: 'row.object_size_differs'"),
    ('row.unreadable', "...batch.unreadable.map((row): AuditViolation => ({ kind: 'row.unreadable', ...row })),"),
]:
    # A detector pushes its finding or returns it in a list: the mutant drops it either way.
    weakened = ('...[],' if kind == 'row.unreadable'
                else anchor.replace('return [{', 'return [];\n    void [{') if anchor.startswith('return [{')
                else anchor.replace('found.push(', '([] as unknown[]).push('))
    MUTANTS[f'A:{kind}'] = (FINDINGS, anchor, weakened, f'the audit no longer reports {kind}', AUDIT_TESTS)

EXTRA_IMPORT = {'I7': ("import { verifyPackage } from '../domain/training-package.js';",
                       "import { restoreVerifiedPackage, verifyPackage } from '../domain/training-package.js';")}


def run(invariant: str) -> dict:
    path, original, weakened, what, *only = MUTANTS[invariant]
    scratch = tempfile.mkdtemp(prefix='mutant-' + ''.join(c if c.isalnum() else '-' for c in invariant) + '-')
    try:
        shutil.copytree(ROOT, scratch, dirs_exist_ok=True, symlinks=True,
                        ignore=shutil.ignore_patterns('node_modules', '.git', 'reports', 'dist', 'bench'))
        os.symlink(os.path.join(ROOT, 'node_modules'), os.path.join(scratch, 'node_modules'))
        target = os.path.join(scratch, path)
        text = open(target).read()
        assert text.count(original) == 1, f'{invariant}: anchor not found once in {path}'
        text = text.replace(original, weakened)
        if invariant in EXTRA_IMPORT:
            text = text.replace(*EXTRA_IMPORT[invariant])
        open(target, 'w').write(text)
        report = os.path.join(scratch, 'mutant.json')
        subprocess.run(['npx', 'vitest', 'run', '--project', 'core', '--project', 'tests', *(only[0] if only else []),
                        '--reporter=json', f'--outputFile={report}'],
                       cwd=scratch, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        result = json.load(open(report))
        failed = [f"{os.path.relpath(f['name'], scratch)} > {t['fullName']}"
                  for f in result['testResults'] for t in f['assertionResults'] if t['status'] == 'failed']
        return {'invariant': invariant, 'mutant': what, 'failed': len(failed), 'examples': failed[:4]}
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == '__main__':
    chosen = [name for name in MUTANTS if name.startswith('A:')] if sys.argv[1:] == ['audit'] else sys.argv[1:] or list(MUTANTS)
    survivors = 0
    for inv in chosen:
        outcome = run(inv)
        survivors += outcome['failed'] == 0
        print(f"{inv}: {outcome['mutant']}: {outcome['failed']} failing tests" + ('  <-- SURVIVED' if outcome['failed'] == 0 else ''))
        for example in outcome['examples']:
            print(f'    {example}')
    sys.exit(1 if survivors else 0)
