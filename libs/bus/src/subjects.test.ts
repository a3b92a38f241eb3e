import { admin } from '@kr/proto';
import { describe, expect, it } from 'vitest';
import { CONTROLLERS, resyncSubject } from './subjects.js';

// No addresses in this file: subjects are family-agnostic.

describe('subjects', () => {
  it.each(CONTROLLERS.map((c) => [c]))('resync subject of %s', (controller) => {
    const subject = resyncSubject(controller);
    expect(subject.name).toBe(`kr.v1.resync.${controller}`);
    const request = admin.ResyncRequest.fromPartial({ full: true, reason: 'kr resync' });
    expect(subject.codec.decode(subject.codec.encode(request))).toEqual(request);
  });

  it('gives every controller its own subject', () => {
    expect(new Set(CONTROLLERS.map((c) => resyncSubject(c).name)).size).toBe(CONTROLLERS.length);
  });
});
