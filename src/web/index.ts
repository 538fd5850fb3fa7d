/**
 * aiots/web — arrives with its own issue; the entry point resolves so imports can be written today.
 * @packageDocumentation
 */
export { VERSION } from "../version.js";
