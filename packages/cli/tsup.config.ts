import { createPackageBuildConfig } from '../../tsup.base';

export default createPackageBuildConfig(['src/index.ts', 'src/bin.ts']);
