namespace HybridInference.Benchmarks.JsonSchema;

/// <summary>
/// A structured-output schema of the kind apps send with local models (support-ticket triage: nested objects,
/// arrays of objects, enums, required members, ranges, lengths, a pattern, unique items) and a 1.5 KB answer, valid
/// and with four errors. Only keywords both validators read (draft 7 and 2020-12 agree on them).
/// </summary>
internal static class TicketTriage
{
    public const string Schema = """
        {
          "type": "object",
          "properties": {
            "ticketId": { "type": "string", "pattern": "^TCK-[0-9]{6}$" },
            "summary": { "type": "string", "minLength": 10, "maxLength": 200 },
            "category": { "enum": ["billing", "technical", "account", "shipping", "other"] },
            "priority": { "enum": ["low", "medium", "high", "urgent"] },
            "sentiment": { "type": "number", "minimum": -1, "maximum": 1 },
            "customer": {
              "type": "object",
              "properties": {
                "name": { "type": "string", "minLength": 1 },
                "email": { "type": "string", "format": "email" },
                "tier": { "enum": ["free", "pro", "enterprise"] },
                "accountAgeDays": { "type": "integer", "minimum": 0 }
              },
              "required": ["name", "email", "tier"],
              "additionalProperties": false
            },
            "entities": {
              "type": "array",
              "maxItems": 20,
              "items": {
                "type": "object",
                "properties": {
                  "type": { "enum": ["product", "order", "invoice", "person", "date"] },
                  "value": { "type": "string", "minLength": 1 },
                  "confidence": { "type": "number", "minimum": 0, "maximum": 1 }
                },
                "required": ["type", "value", "confidence"],
                "additionalProperties": false
              }
            },
            "actions": {
              "type": "array",
              "minItems": 1,
              "items": {
                "type": "object",
                "properties": {
                  "kind": { "enum": ["refund", "escalate", "reply", "close", "investigate"] },
                  "reason": { "type": "string" },
                  "amount": { "type": ["number", "null"], "minimum": 0 }
                },
                "required": ["kind", "reason"],
                "additionalProperties": false
              }
            },
            "requiresHuman": { "type": "boolean" },
            "tags": { "type": "array", "items": { "type": "string", "maxLength": 30 }, "uniqueItems": true }
          },
          "required": ["ticketId", "summary", "category", "priority", "customer", "actions", "requiresHuman"],
          "additionalProperties": false
        }
        """;

    public const string Valid = """
        {
          "ticketId": "TCK-204817",
          "summary": "Customer was charged twice for the March invoice and wants the duplicate payment refunded.",
          "category": "billing",
          "priority": "high",
          "sentiment": -0.62,
          "customer": { "name": "Ada Lovelace", "email": "ada@example.com", "tier": "pro", "accountAgeDays": 412 },
          "entities": [
            { "type": "invoice", "value": "INV-2026-0311", "confidence": 0.97 },
            { "type": "order", "value": "ORD-88213", "confidence": 0.91 },
            { "type": "date", "value": "2026-03-11", "confidence": 0.88 },
            { "type": "product", "value": "Analytics Pro (annual)", "confidence": 0.84 },
            { "type": "person", "value": "Ada Lovelace", "confidence": 0.99 },
            { "type": "date", "value": "2026-03-12", "confidence": 0.73 },
            { "type": "invoice", "value": "INV-2026-0312", "confidence": 0.66 },
            { "type": "order", "value": "ORD-88214", "confidence": 0.58 }
          ],
          "actions": [
            { "kind": "refund", "reason": "Duplicate charge on INV-2026-0312 matches INV-2026-0311.", "amount": 249.0 },
            { "kind": "reply", "reason": "Confirm the refund and the expected 5-7 day processing time.", "amount": null },
            { "kind": "investigate", "reason": "Check the payment gateway for a retry that double-submitted." }
          ],
          "requiresHuman": false,
          "tags": ["duplicate-charge", "refund", "march-invoice", "payment-gateway", "pro-tier"]
        }
        """;

    /// <summary>Four errors: an unknown priority, a confidence above 1, an unknown member, and requiresHuman missing.</summary>
    public const string Invalid = """
        {
          "ticketId": "TCK-204817",
          "summary": "Customer was charged twice for the March invoice and wants the duplicate payment refunded.",
          "category": "billing",
          "priority": "critical",
          "sentiment": -0.62,
          "customer": { "name": "Ada Lovelace", "email": "ada@example.com", "tier": "pro", "accountAgeDays": 412 },
          "entities": [
            { "type": "invoice", "value": "INV-2026-0311", "confidence": 0.97 },
            { "type": "order", "value": "ORD-88213", "confidence": 1.3 },
            { "type": "date", "value": "2026-03-11", "confidence": 0.88 },
            { "type": "product", "value": "Analytics Pro (annual)", "confidence": 0.84 },
            { "type": "person", "value": "Ada Lovelace", "confidence": 0.99 },
            { "type": "date", "value": "2026-03-12", "confidence": 0.73 },
            { "type": "invoice", "value": "INV-2026-0312", "confidence": 0.66 },
            { "type": "order", "value": "ORD-88214", "confidence": 0.58 }
          ],
          "actions": [
            { "kind": "refund", "reason": "Duplicate charge on INV-2026-0312 matches INV-2026-0311.", "amount": 249.0 },
            { "kind": "reply", "reason": "Confirm the refund and the expected 5-7 day processing time.", "amount": null },
            { "kind": "investigate", "reason": "Check the payment gateway for a retry that double-submitted." }
          ],
          "notes": "The model added this member on its own.",
          "tags": ["duplicate-charge", "refund", "march-invoice", "payment-gateway", "pro-tier"]
        }
        """;
}
