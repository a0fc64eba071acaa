/**
 * The audit record's field list lives with the SDK (sdk/audit/record-fields.ts), because a
 * client that verifies a receipt must hash a record exactly as the service does; the service
 * reads its columns, wire names and hash order from that one list.
 */
export * from '../../sdk/audit/record-fields';
