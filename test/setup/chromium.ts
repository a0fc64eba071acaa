/**
 * How every suite launches Debian's Chromium (browser downloads are not possible here): the
 * browser-mode SDK suite through @vitest/browser-playwright, and the end-to-end suite through
 * playwright-core. CHROMIUM_PATH overrides where the binary is.
 */
export const CHROMIUM_LAUNCH_OPTIONS = {
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
};
