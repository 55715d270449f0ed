// Text another user wrote (a hold's reason, its command, a user name) made safe to print on a terminal: the shared rule in common/printable.ts.
export { printable } from "../../../common/printable";
