import { createPackageBuildConfig } from '../../tsup.base';

export default createPackageBuildConfig();
