// The public library surface: another Pulumi TypeScript program can
// `import { IdleStop } from "<path>/components"` and watch its own instances.
export { IdleStop, IdleStopArgs, IdleStopSshArgs, idleStopDefaults, CreatedInstanceArgs, CredentialsMode, InstanceAction, NewInstance, SshConnection } from "./idle-stop";
export { InvalidSettingError } from "./validation";
