import { defineSearchAttributeKey, SearchAttributeType, type SearchAttributePair } from '@temporalio/common';

// Keys come from @temporalio/common: imported from @temporalio/workflow they are undefined (DESIGN.md).
export const SA_KIND = defineSearchAttributeKey('SwitchyardKind', SearchAttributeType.KEYWORD);
export const SA_STATUS = defineSearchAttributeKey('SwitchyardStatus', SearchAttributeType.KEYWORD);
export const SA_QUEUE = defineSearchAttributeKey('SwitchyardQueue', SearchAttributeType.KEYWORD);
export const SA_HOST = defineSearchAttributeKey('SwitchyardHost', SearchAttributeType.KEYWORD);
export const SA_OWNER = defineSearchAttributeKey('SwitchyardOwner', SearchAttributeType.KEYWORD);
export const SA_SERVICE = defineSearchAttributeKey('SwitchyardService', SearchAttributeType.KEYWORD);

export const ALL_SEARCH_ATTRIBUTES = [SA_KIND, SA_STATUS, SA_QUEUE, SA_HOST, SA_OWNER, SA_SERVICE] as const;

/** A device job's attributes, set when its `deviceJob` workflow starts (by the device API or a scheduled run). */
export function deviceJobSearchAttributes(queue: string, host: string): SearchAttributePair[] {
  return [
    { key: SA_KIND, value: 'device' },
    { key: SA_QUEUE, value: queue },
    { key: SA_HOST, value: host },
  ];
}
