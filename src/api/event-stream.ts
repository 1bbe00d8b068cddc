import { EventStreamCodec } from '@smithy/core/event-streams';

/**
 * AWS's event-stream framing (application/vnd.amazon.eventstream messages: prelude, headers, payload,
 * CRCs), written with the codec the AWS SDK v3 reads it with, so its stream reader takes our frames.
 */
const codec = new EventStreamCodec(
  (bytes) => Buffer.from(bytes).toString('utf8'),
  (text) => Buffer.from(text, 'utf8'),
);

/** One event of an event stream: `:event-type` names the member of the stream's union it carries. */
export function eventMessage(eventType: string, contentType: string, body: Uint8Array): Uint8Array {
  return codec.encode({
    headers: {
      ':event-type': { type: 'string', value: eventType },
      ':content-type': { type: 'string', value: contentType },
      ':message-type': { type: 'string', value: 'event' },
    },
    body,
  });
}

/** An exception on an event stream (the stream's union member named by `:exception-type`), which ends it. */
export function exceptionMessage(exceptionType: string, body: Uint8Array): Uint8Array {
  return codec.encode({
    headers: {
      ':exception-type': { type: 'string', value: exceptionType },
      ':content-type': { type: 'string', value: 'application/json' },
      ':message-type': { type: 'string', value: 'exception' },
    },
    body,
  });
}
