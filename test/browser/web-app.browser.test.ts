import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { Client, tokenFor } from '../e2e/support/client.js';
import { waitFor } from '../e2e/support/poll.js';
import { RawBucket } from '../e2e/support/raw-bucket.js';
import { startE2eService, type E2eService } from '../e2e/support/service.js';
import { SERVICE, type Env } from '@selfie-lora/adapters';
import { backgroundJobs } from '@selfie-lora/http';
import { axeViolations, browserMissing, launchChromium } from './support/chromium.js';
import { ensureWebBuilt } from './support/web-build.js';

// The web app in Debian's Chromium against the real service on its embedded stack (scratch
// PostgreSQL, s3rver, the Replicate simulator; TRAINING_MIN_PHOTOS=3; face checks on), signed
// in the way a host application does it: a bearer token in the URL fragment.

const skipReason = browserMissing();
if (skipReason) console.warn(skipReason);

const OWNER = 'browser-owner';
/** Between the fixtures' sizes: upright.jpg and jpeg-orientation-6-gps.jpg (about 42 kB) go straight to storage, the rest through the API. */
const PRESIGNED_THRESHOLD = 40_000;
// Browser-side expressions as strings: the test workspace has no DOM types.
const focused = (target: Page) => target.evaluate<string | undefined>('document.activeElement?.textContent');
const photo = (name: string) => fileURLToPath(new URL(`../../packages/adapters/test/fixtures/photos/${name}`, import.meta.url));
const screenshot = (name: string) => fileURLToPath(new URL(`../../docs/screenshots/${name}.png`, import.meta.url));

describe.skipIf(skipReason !== null)('the web app in a browser', () => {
  let service: E2eService;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let owner: Client;
  const cspViolations: string[] = [];
  const pageErrors: string[] = [];

  function watch(target: Page): void {
    target.on('console', (message) => {
      if (message.text().includes('Content Security Policy')) cspViolations.push(message.text());
    });
    target.on('pageerror', (error) => pageErrors.push(error.message));
  }

  async function expectAxeClean(target: Page): Promise<void> {
    expect(await axeViolations(target)).toEqual([]);
  }

  beforeAll(async () => {
    await ensureWebBuilt();
    // The service's defaults: real face checks, photos judged after the answer by the worker's job.
    service = await startE2eService({ env: { FACE_CHECKS: 'on', PHOTO_CHECKS_AFTER_ANSWER: 'on' }, webApp: { presignedThresholdBytes: PRESIGNED_THRESHOLD } });
    service.startWorker({ id: 'browser-e2e', jobs: backgroundJobs(service.container.deps, { everyMs: 1000, photoChecksEveryMs: 200 }) });
    // As an operator does for real S3 (docs/web-app.md): the page may PUT to presigned URLs.
    await new RawBucket(service.container.container.get<Env>(SERVICE.env)).allowBrowserPuts(service.url);
    owner = new Client(service.url, OWNER);
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    watch(page);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await service?.close();
  }, 60_000);

  it('shows the photo notice first, takes the token out of the address, and requires the consent box', async () => {
    await page.goto(`${service.url}/#token=${tokenFor(OWNER)}`);
    await page.getByRole('heading', { name: 'Before you choose photos' }).waitFor();
    expect(page.url()).toBe(`${service.url}/`);
    await page.getByText('0 of 3 photos').waitFor();
    expect(await page.getByLabel(/The photos I choose are of me/).isChecked()).toBe(false);
    // Nothing to pick from until consent is given.
    expect(await page.getByText('Choose photos', { exact: true }).count()).toBe(0);
    await page.getByText('iPhone and iPad').click();
    await page.getByText('If the picker shows nothing').click();
    await page.getByRole('button', { name: 'Continue to choose photos' }).click();
    await page.getByRole('alert').filter({ hasText: 'Please tick the box' }).waitFor();
    await expectAxeClean(page);
    await page.screenshot({ path: screenshot('01-photo-notice'), fullPage: true });

    await page.getByLabel(/The photos I choose are of me/).check();
    await page.getByRole('button', { name: 'Continue to choose photos' }).click();
    await page.getByText('Choose photos', { exact: true }).waitFor();
    // Consent is remembered for this owner: a reload goes straight to the picker.
    await page.reload();
    await page.getByText('Choose photos', { exact: true }).waitFor();
    expect(await page.getByRole('heading', { name: 'Before you choose photos' }).count()).toBe(0);
  }, 60_000);

  it('uploads real photos with a message per file: one refused by the server, one by the browser, one duplicate, one retried; deletes with confirmation', async () => {
    const notAPhoto = join(await mkdtemp(join(tmpdir(), 'browser-files-')), 'not-a-photo.jpg');
    await writeFile(notAPhoto, 'this is text, not a photo');
    await page.locator('#pick-files').setInputFiles([
      photo('astronaut-a.jpg'),
      photo('astronaut-b.jpg'),
      photo('astronaut-c.jpg'),
      photo('upright.jpg'),
      photo('no-face.jpg'),
      notAPhoto,
    ]);
    const line = (name: string) => page.locator('.queue-item').filter({ has: page.getByText(name, { exact: true }) });
    for (const name of ['astronaut-a.jpg', 'astronaut-b.jpg', 'astronaut-c.jpg', 'upright.jpg']) {
      await line(name).and(page.locator('[data-phase="stored"]')).waitFor({ timeout: 60_000 });
    }
    await line('no-face.jpg').and(page.locator('[data-phase="refused"]')).waitFor({ timeout: 60_000 });
    expect(await line('no-face.jpg').getByRole('alert').textContent()).toBe('No face was found in this photo. Please choose a photo that shows your face.');
    await line('not-a-photo.jpg').and(page.locator('[data-phase="refused"]')).waitFor();
    expect(await line('not-a-photo.jpg').getByRole('alert').textContent()).toContain('not a JPEG, PNG, WebP or HEIC photo');
    await page.locator('.count').getByText('4 photos', { exact: true }).waitFor();

    // The same photo again: the server keeps it once, and the page says so.
    await page.locator('#pick-files').setInputFiles([photo('astronaut-a.jpg')]);
    await page.locator('.queue-item[data-phase="duplicate"]').getByText('Already uploaded', { exact: true }).waitFor({ timeout: 30_000 });
    await page.locator('.count').getByText('4 photos', { exact: true }).waitFor();
    expect((await owner.request<{ uploads: unknown[] }>('GET', '/v1/uploads')).body.uploads).toHaveLength(4);

    // A connection that breaks during an upload (here a HEIC from a phone): the file says so and
    // offers Retry, which sends it again.
    let broken = false;
    await page.route(`${service.url}/v1/uploads`, async (route) => {
      if (broken || route.request().method() !== 'POST') return route.continue();
      broken = true;
      return route.abort('connectionreset');
    });
    await page.locator('#pick-files').setInputFiles([photo('heic-upright.heic')]);
    const heic = line('heic-upright.heic');
    await heic.and(page.locator('[data-phase="failed"]')).waitFor({ timeout: 30_000 });
    expect(await heic.getByRole('alert').textContent()).toContain('The connection to the service failed');
    await heic.getByRole('button', { name: 'Retry heic-upright.heic' }).click();
    await heic.and(page.locator('[data-phase="stored"]')).waitFor({ timeout: 60_000 });
    await page.unroute(`${service.url}/v1/uploads`);
    await page.locator('.count').getByText('5 photos', { exact: true }).waitFor();
    await page.locator('.grid img').nth(4).waitFor();
    await expectAxeClean(page);
    await page.screenshot({ path: screenshot('02-uploads'), fullPage: true });

    // After a reload the upload lines are gone; the photos the service refused after answering
    // are still listed with their reasons until dismissed (the refusal is the server's record).
    await page.reload();
    const refusedList = page.getByRole('list', { name: 'Photos not accepted' });
    await refusedList.getByText('Not accepted: No face was found in this photo. Please choose a photo that shows your face.').waitFor();
    // The file that is not a photo never left the browser: only the server's refusal is listed.
    expect(await refusedList.getByRole('listitem').count()).toBe(1);
    await page.locator('.grid img').nth(4).waitFor();
    await expectAxeClean(page);
    await page.screenshot({ path: screenshot('02b-refused-after-reload'), fullPage: true });
    await refusedList.getByRole('button', { name: 'Dismiss this refused photo' }).click();
    await page.locator('.refused-item').waitFor({ state: 'detached' });
    expect((await owner.request<{ pending: unknown[] }>('GET', '/v1/uploads')).body.pending).toEqual([]);

    // Delete asks first; "Keep it" keeps, "Yes, delete" erases.
    await page.getByRole('button', { name: 'Delete photo 5' }).click();
    await page.getByRole('button', { name: 'Keep it' }).click();
    expect(await page.locator('.grid-item').count()).toBe(5);
    await page.getByRole('button', { name: 'Delete photo 5' }).click();
    await page.getByText('Delete this photo? It is erased').waitFor();
    await page.screenshot({ path: screenshot('03-delete-confirmation'), fullPage: true });
    await page.getByRole('button', { name: 'Yes, delete' }).click();
    await page.locator('.count').getByText('4 photos', { exact: true }).waitFor();
    expect((await owner.request<{ uploads: unknown[] }>('GET', '/v1/uploads')).body.uploads).toHaveLength(4);
  }, 150_000);

  /** The trainer's id for the owner's training number `count` (the newest), once the service handed it over. */
  async function submittedTrainerId(count: number): Promise<string> {
    return waitFor(`training ${count} handed to the trainer`, async () => {
      const { body } = await owner.request<{ trainings: { steps: { name: string; evidence: { trainerTrainingId?: string } | null }[] }[] }>('GET', '/v1/trainings');
      if (body.trainings.length !== count) return undefined;
      return body.trainings[0]?.steps.find((step) => step.name === 'submit')?.evidence?.trainerTrainingId;
    }, 60_000);
  }

  it('runs a training to succeeded with live progress, each step with its evidence, and lists the model with its photos', async () => {
    await page.getByRole('button', { name: 'Start training' }).click();
    const trainerId = await submittedTrainerId(1);
    // Live from the events stream: the page moves to "Training your model" without a reload.
    await page.locator('[data-status="training"]').waitFor({ timeout: 30_000 });
    await page.getByText('4 of 5 steps done').waitFor();
    await page.locator('.step').filter({ hasText: 'Checking your photos' }).getByText('What was checked').click();
    await page.getByText('4 photos read back and matched:').waitFor();
    await expectAxeClean(page);
    await page.locator('section[aria-labelledby="training-title"]').screenshot({ path: screenshot('04-training-progress') });

    await service.simulator.control.complete(trainerId);
    await page.locator('[data-status="succeeded"]').getByText('Your model is ready').waitFor({ timeout: 30_000 });
    await page.getByText('5 of 5 steps done').waitFor();
    const model = page.locator('.model');
    await model.getByText('Trained on these 4 photos, and nothing else:').waitFor({ timeout: 30_000 });
    await waitFor("the model's photos shown", async () => {
      const shown = await page.evaluate<number>("[...document.querySelectorAll('.model img')].filter((img) => img.complete && img.naturalWidth > 0).length");
      return shown === 4 ? true : undefined;
    });
    await expectAxeClean(page);
    await page.screenshot({ path: screenshot('05-model-ready'), fullPage: true });
  }, 150_000);

  it('shows a failure in words, restarts it, and cancels the new one', async () => {
    await page.getByRole('button', { name: 'Start a new training' }).click();
    const trainerId = await submittedTrainerId(2);
    await service.simulator.control.fail(trainerId, 'CUDA out of memory');
    const failed = page.locator('[data-status="failed"]');
    await failed.waitFor({ timeout: 30_000 });
    expect(await failed.getByRole('alert').textContent()).toContain('failed at the training service');
    await expectAxeClean(page);
    await page.locator('section[aria-labelledby="training-title"]').screenshot({ path: screenshot('06-training-failed') });

    await page.getByRole('button', { name: 'Restart training' }).click();
    await page.getByRole('button', { name: 'Cancel training' }).waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Cancel training' }).click();
    await page.locator('[data-status="canceled"]').getByText('The training was canceled').waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Restart training' }).waitFor();
    await page.locator('section[aria-labelledby="training-title"]').screenshot({ path: screenshot('07-training-canceled') });
    const { body } = await owner.request<{ trainings: { status: string }[] }>('GET', '/v1/trainings');
    expect(body.trainings.map((t) => t.status)).toEqual(['canceled', 'failed', 'succeeded']);
  }, 150_000);

  it('fits a 375 px phone screen, keyboard operable and axe-clean', async () => {
    const phone = await browser.newContext({ viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    try {
      const small = await phone.newPage();
      watch(small);
      await small.goto(`${service.url}/#token=${tokenFor(OWNER)}`);
      await small.locator('.count').getByText('4 photos', { exact: true }).waitFor();
      // Another device: the notice again, before any pick.
      await small.getByRole('heading', { name: 'Before you choose photos' }).waitFor();
      expect(await small.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(375);
      await expectAxeClean(small);
      await small.screenshot({ path: screenshot('08-phone-notice') });
      // Keyboard only: Tab reaches the skip link first, Space ticks the box, Enter continues.
      await small.keyboard.press('Tab');
      expect(await focused(small)).toBe('Skip to content');
      await small.getByLabel(/The photos I choose are of me/).focus();
      await small.keyboard.press('Space');
      await small.keyboard.press('Tab');
      expect(await focused(small)).toBe('Continue to choose photos');
      await small.keyboard.press('Enter');
      await small.getByText('Choose photos', { exact: true }).waitFor();
      await small.locator('.model img').nth(2).waitFor();
      expect(await small.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(375);
      await expectAxeClean(small);
      await small.screenshot({ path: screenshot('09-phone-workspace'), fullPage: true });
      // Enter on Delete opens the confirmation with the focus on its safe answer; Enter keeps the photo.
      await small.getByRole('button', { name: 'Delete photo 1' }).focus();
      await small.keyboard.press('Enter');
      await waitFor('the focus on "Keep it"', async () => ((await focused(small)) === 'Keep it' ? true : undefined));
      await small.keyboard.press('Enter');
      expect(await small.locator('section[aria-labelledby="photos-title"] .grid-item').count()).toBe(4);
    } finally {
      await phone.close();
    }
  }, 60_000);

  it('sends a photo above the presigned threshold straight to storage (a PUT to S3, allowed by the CSP), then completes it', async () => {
    const direct = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const tab = await direct.newPage();
      watch(tab);
      const puts: string[] = [];
      tab.on('requestfinished', (request) => {
        void request.response().then((answer) => {
          if (request.method() === 'PUT' && answer?.ok()) puts.push(new URL(request.url()).origin);
        });
      });
      const other = 'browser-direct-owner';
      await tab.goto(`${service.url}/#token=${tokenFor(other)}`);
      await tab.getByLabel(/The photos I choose are of me/).check();
      await tab.getByRole('button', { name: 'Continue to choose photos' }).click();
      await tab.locator('#pick-files').setInputFiles([photo('jpeg-orientation-6-gps.jpg')]);
      await tab.locator('.queue-item[data-phase="stored"]').waitFor({ timeout: 60_000 });
      await tab.locator('.count').getByText('1 of 3 photos', { exact: true }).waitFor();
      await waitFor('the PUT straight to storage', () => (puts.length > 0 ? true : undefined));
      expect(puts).toHaveLength(1);
      expect(puts[0]).not.toBe(service.url);
      const { body } = await new Client(service.url, other).request<{ uploads: unknown[] }>('GET', '/v1/uploads');
      expect(body.uploads).toHaveLength(1);
    } finally {
      await direct.close();
    }
    expect(cspViolations).toEqual([]);
    expect(pageErrors).toEqual([]);
  }, 90_000);
});
