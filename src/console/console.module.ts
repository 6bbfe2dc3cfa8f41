import { Module } from '@nestjs/common';
import { ConsoleAssets } from './console-assets.js';
import { ConsoleController } from './console.controller.js';

@Module({ controllers: [ConsoleController], providers: [ConsoleAssets] })
export class ConsoleModule {}
