import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

// Keys come from @temporalio/common: imported from @temporalio/workflow they are undefined (DESIGN.md).
export const SA_KIND = defineSearchAttributeKey('SwitchyardKind', SearchAttributeType.KEYWORD);
export const SA_STATUS = defineSearchAttributeKey('SwitchyardStatus', SearchAttributeType.KEYWORD);
export const SA_QUEUE = defineSearchAttributeKey('SwitchyardQueue', SearchAttributeType.KEYWORD);
export const SA_HOST = defineSearchAttributeKey('SwitchyardHost', SearchAttributeType.KEYWORD);
export const SA_OWNER = defineSearchAttributeKey('SwitchyardOwner', SearchAttributeType.KEYWORD);
export const SA_SERVICE = defineSearchAttributeKey('SwitchyardService', SearchAttributeType.KEYWORD);

export const ALL_SEARCH_ATTRIBUTES = [SA_KIND, SA_STATUS, SA_QUEUE, SA_HOST, SA_OWNER, SA_SERVICE] as const;
