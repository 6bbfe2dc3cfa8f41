import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AccessContext } from '../access/access-context.js';
import { Access } from '../access/access-context.js';
import { Authorize } from '../access/decorators.js';
import { NotificationsService } from './notifications.service.js';

@ApiTags('notifications')
@Controller('v1/notifications')
export class NotificationsController {
  constructor(private readonly notifications: NotificationsService) {}

  @Get()
  @Authorize('read', 'Notification')
  @ApiOperation({
    summary: "Your organisation's notifications (e.g. a consent withdrawn for data you received), newest first",
  })
  list(@Access() access: AccessContext) {
    return this.notifications.list(access);
  }
}
