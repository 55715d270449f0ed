// The public library surface: another Pulumi TypeScript program can
// `import { IdleStop } from "<path>/components"` and watch its own instances.
export {
    AddressScheme,
    AlarmActionFunction,
    AlarmActionFunctionArgs,
    IdleStop,
    IdleStopArgs,
    IdleStopSshArgs,
    idleStopDefaults,
    CreatedInstanceArgs,
    CredentialsMode,
    InstanceAction,
    NewInstance,
    SshConnection,
} from "./idle-stop";
export { InvalidSettingError } from "./validation";
// The fleet pieces as components (the package offers them to other languages; the program itself
// keeps calling createFleetDashboard / createNotifications so its resources keep their URNs).
export { DashboardEntry, FleetDashboard, FleetDashboardArgs } from "./fleet-dashboard-component";
export { NotificationTopic, NotificationTopicArgs } from "./notification-topic";
